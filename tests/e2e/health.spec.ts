import { expect, test } from './fixtures'

test.describe('health and HTTP hygiene', () => {
  test('/healthz answers 200 with status ok and is not cached', async ({ request }) => {
    const response = await request.get('/healthz')
    expect(response.status()).toBe(200)
    expect(response.headers()['content-type']).toContain('application/json')
    expect(response.headers()['cache-control']).toBe('no-store')
    expect(await response.json()).toMatchObject({ status: 'ok' })
  })

  test('/readyz reports the database reachable and every migration applied', async ({
    request,
  }) => {
    const response = await request.get('/readyz')
    expect(response.status()).toBe(200)
    const body = await response.json()
    expect(body.status).toBe('ok')
    expect(body.checks.database.ok).toBe(true)
    expect(body.checks.migrations).toEqual({ ok: true, pending: [] })
  })

  test('HTML carries a nonce-based CSP and the anti-framing and no-sniff headers', async ({
    request,
  }) => {
    const response = await request.get('/')
    expect(response.status()).toBe(200)
    const headers = response.headers()
    expect(headers['content-type']).toContain('text/html')
    expect(headers['content-security-policy']).toMatch(/script-src [^;]*'nonce-[A-Za-z0-9+/=]+'/)
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(headers['content-security-policy']).toContain("object-src 'none'")
    expect(headers['x-frame-options']).toBe('DENY')
    expect(headers['x-content-type-options']).toBe('nosniff')
    expect(headers['x-powered-by']).toBeUndefined()
    // Plain http here: HSTS only when APP_URL is https.
    expect(headers['strict-transport-security']).toBeUndefined()
  })

  test('fingerprinted assets are immutable and compressed on request', async ({ request }) => {
    const html = await (await request.get('/')).text()
    const css = /href="(\/build\/[^"]+\.css)"/.exec(html)?.[1]
    expect(css, 'no stylesheet under /build/ in the home page').toBeTruthy()

    const gzipped = await request.get(css!, { headers: { 'Accept-Encoding': 'gzip' } })
    expect(gzipped.status()).toBe(200)
    expect(gzipped.headers()['content-type']).toContain('text/css')
    expect(gzipped.headers()['cache-control']).toContain('immutable')
    expect(gzipped.headers()['cache-control']).toContain('max-age=31536000')
    expect(gzipped.headers()['content-encoding']).toBe('gzip')

    const plain = await request.get(css!, { headers: { 'Accept-Encoding': 'identity' } })
    expect(plain.headers()['content-encoding']).toBeUndefined()
    expect((await plain.text()).length).toBeGreaterThan(1000)
  })

  test('HTML is compressed when the client accepts gzip', async ({ request }) => {
    const response = await request.get('/', { headers: { 'Accept-Encoding': 'gzip' } })
    expect(response.status()).toBe(200)
    expect(response.headers()['content-encoding']).toBe('gzip')
    expect(response.headers()['vary']).toContain('Accept-Encoding')
  })

  test('a missing build asset is a plain 404, not an application page', async ({ request }) => {
    const response = await request.get('/build/_assets/no-such-file-ABC123.js')
    expect(response.status()).toBe(404)
    expect(response.headers()['content-type']).toContain('text/plain')
    expect(response.headers()['cache-control'] ?? '').not.toContain('immutable')
  })
})
