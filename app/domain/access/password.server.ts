import { hash, verify } from '@node-rs/argon2'
import { dictionary } from '@zxcvbn-ts/language-common'

import { PASSWORD_MAX, PASSWORD_MIN } from './password-rules'

export { PASSWORD_MAX, PASSWORD_MIN }

// argon2id (the library's default algorithm) with OWASP's second recommended profile.
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

let common: Set<string> | undefined
function commonPasswords() {
  common ??= new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()))
  return common
}

/**
 * Why a new password is refused, or null. The length bounds are also in the form's zod schema;
 * the common-password check needs the server's list.
 */
export function passwordProblem(
  password: string,
  context: { email?: string; name?: string } = {},
): string | null {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`
  const lower = password.toLowerCase()
  if (commonPasswords().has(lower))
    return 'This password is on a list of commonly used passwords. Choose another.'
  if (/^(.)\1+$/.test(password)) return 'Choose a password that is not one repeated character.'
  const local = context.email?.split('@')[0]?.toLowerCase()
  if (local && local.length >= 4 && lower.includes(local))
    return 'Choose a password that does not contain your e-mail address.'
  return null
}

export function hashPassword(password: string) {
  return hash(password, ARGON2)
}

/**
 * Verifies a password against a stored hash. With no stored hash, a dummy verification still
 * runs so that an unknown e-mail takes as long as a wrong password.
 */
export async function verifyPassword(stored: string | null | undefined, password: string) {
  if (!stored) {
    await verify(await dummyHash(), password).catch(() => false)
    return false
  }
  try {
    return await verify(stored, password)
  } catch {
    return false
  }
}

let dummy: Promise<string> | undefined
function dummyHash() {
  dummy ??= hash('incidentflow-timing-equaliser', ARGON2)
  return dummy
}
