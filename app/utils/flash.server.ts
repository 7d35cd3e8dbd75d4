import { createCookieSessionStorage, redirect, type SessionStorage } from '@remix-run/node'
import * as z from 'zod'
import { cookieName, cookiesAreSecure } from './cookies.server'

export const flashSchema = z.object({
  kind: z.enum(['success', 'info', 'warning', 'error']),
  message: z.string().min(1).max(500),
})
export type Flash = z.infer<typeof flashSchema>

const FLASH_KEY = 'flash'

/** One cookie storage per secret and cookie security: it holds nothing but its settings. */
const storages = new Map<string, SessionStorage>()

function storage(secret: string, secure: boolean) {
  const key = `${secure}\u0000${secret}`
  let made = storages.get(key)
  if (!made) {
    made = createCookieSessionStorage({
      cookie: {
        name: cookieName('flash', secure),
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure,
        secrets: [secret],
      },
    })
    if (storages.size >= 8) storages.clear()
    storages.set(key, made)
  }
  return made
}

export interface FlashSettings {
  SESSION_SECRET: string
  NODE_ENV: string
  APP_URL: string
}

const isSecure = (env: FlashSettings) => cookiesAreSecure(env)

/** Reads and consumes the message left by the previous request's redirect. */
export async function readFlash(request: Request, env: FlashSettings) {
  const secure = isSecure(env)
  const cookies = request.headers.get('Cookie')
  // Nearly every page is read without a message: no flash cookie, nothing to verify or clear.
  if (!cookies?.includes(`${cookieName('flash', secure)}=`))
    return { flash: null, headers: undefined }
  const store = storage(env.SESSION_SECRET, secure)
  const session = await store.getSession(cookies)
  // has() before get(): reading a flash value removes it from the session.
  if (!session.has(FLASH_KEY)) return { flash: null, headers: undefined }
  const parsed = flashSchema.safeParse(session.get(FLASH_KEY))
  session.unset(FLASH_KEY)
  const cookie = await store.destroySession(session)
  return { flash: parsed.success ? parsed.data : null, headers: { 'Set-Cookie': cookie } }
}

/** Post/redirect/get with a one-time message shown on the next page. */
export async function redirectWithFlash(
  url: string,
  flash: Flash,
  env: FlashSettings,
  init: ResponseInit = {},
) {
  const store = storage(env.SESSION_SECRET, isSecure(env))
  const session = await store.getSession()
  session.flash(FLASH_KEY, flashSchema.parse(flash))
  const headers = new Headers(init.headers)
  headers.append('Set-Cookie', await store.commitSession(session))
  return redirect(url, { ...init, headers })
}
