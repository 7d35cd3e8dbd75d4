import * as z from '~/utils/zod'
import { honeypotSchema } from '~/utils/honeypot'

/**
 * The log-in form, shared by the page (browser-side validation and constraints) and the form
 * strategy on the server. It must not live in a `.server` module: the browser bundle replaces
 * those with empty modules, and the page would then crash while hydrating.
 */
export const loginSchema = z.object({
  email: z.email({ error: 'Enter a valid e-mail address' }).max(320),
  password: z.string({ error: 'Enter your password' }).min(1, 'Enter your password').max(1024),
  redirectTo: z.string().max(2000).optional(),
  website: honeypotSchema,
})
