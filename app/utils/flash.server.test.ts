import { describe, expect, it } from 'vitest'
import { readFlash, redirectWithFlash } from './flash.server'

const env = {
  SESSION_SECRET: 'a-test-secret-that-is-long-enough-0123',
  NODE_ENV: 'test',
  APP_URL: 'http://localhost:3000',
}

function requestWith(cookie: string | null) {
  return new Request('http://localhost:3000/next', cookie ? { headers: { Cookie: cookie } } : {})
}

describe('flash messages', () => {
  it('shows the message left by a redirect on the next page, then clears it', async () => {
    const response = await redirectWithFlash(
      '/admin/members',
      { kind: 'error', message: 'The organization needs at least one active admin.' },
      env,
    )
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')).toBe('/admin/members')
    const setCookie = response.headers.get('Set-Cookie')!
    expect(setCookie).toMatch(/^flash=.+; Path=\/; HttpOnly; SameSite=Lax$/)

    const next = await readFlash(requestWith(setCookie.split(';')[0]!), env)
    expect(next.flash).toEqual({
      kind: 'error',
      message: 'The organization needs at least one active admin.',
    })
    // The cookie is expired in the same response, so the message shows once.
    expect(next.headers?.['Set-Cookie']).toMatch(/^flash=; .*Expires=Thu, 01 Jan 1970/)
  })

  it('answers no message and no header when there is no flash cookie', async () => {
    expect(await readFlash(requestWith(null), env)).toEqual({ flash: null, headers: undefined })
  })

  it('ignores a flash cookie signed with another secret', async () => {
    const response = await redirectWithFlash(
      '/',
      { kind: 'info', message: 'Hi' },
      {
        ...env,
        SESSION_SECRET: 'someone-elses-secret-0123456789abcdef',
      },
    )
    const cookie = response.headers.get('Set-Cookie')!.split(';')[0]!
    expect((await readFlash(requestWith(cookie), env)).flash).toBeNull()
  })

  it('reads the message among other cookies, and answers none when only other cookies are sent', async () => {
    const response = await redirectWithFlash('/', { kind: 'success', message: 'Saved.' }, env)
    const flash = response.headers.get('Set-Cookie')!.split(';')[0]!
    const read = await readFlash(requestWith(`session=abc; ${flash}; theme=dark`), env)
    expect(read.flash).toEqual({ kind: 'success', message: 'Saved.' })
    expect(read.headers?.['Set-Cookie']).toMatch(/^flash=; /)
    for (const cookie of ['session=abc; theme=dark', `notflash=${flash.slice('flash='.length)}`]) {
      expect(await readFlash(requestWith(cookie), env)).toEqual({ flash: null, headers: undefined })
    }
  })
})
