import * as z from '~/utils/zod'

/** Password length bounds, shared by the forms (browser validation) and the server check. */
export const PASSWORD_MIN = 12
export const PASSWORD_MAX = 128

/** A new password as forms accept it; the common-password check runs on the server. */
export const newPasswordSchema = z
  .string({ error: 'Choose a password' })
  .min(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `Use at most ${PASSWORD_MAX} characters`)

export const NEW_PASSWORD_HINT = `${PASSWORD_MIN} to ${PASSWORD_MAX} characters; not a commonly used password.`
