import type { MikroORM } from '@mikro-orm/postgresql'
import type { Submission } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod/v4'
import { Authenticator } from 'remix-auth'
import { FormStrategy } from 'remix-auth-form'
import * as z from 'zod'
import { honeypotSchema } from '../../utils/honeypot'
import { logIn, type LoginOutcome } from './accounts.server'

export const loginSchema = z.object({
  email: z.email({ error: 'Enter a valid e-mail address' }).max(320),
  password: z.string({ error: 'Enter your password' }).min(1, 'Enter your password').max(1024),
  redirectTo: z.string().max(2000).optional(),
  website: honeypotSchema,
})

export type LoginSubmission = Submission<
  z.input<typeof loginSchema>,
  string[],
  z.output<typeof loginSchema>
>

/** What the form strategy yields: a parsed submission that failed, or the sign-in outcome. */
export type FormLoginResult =
  | { kind: 'invalid-form'; submission: LoginSubmission }
  | { kind: 'outcome'; submission: LoginSubmission; outcome: LoginOutcome }

/**
 * E-mail and password sign-in through remix-auth's form strategy. The session itself is ours
 * (database-backed, see session.server.ts); the strategy only turns a form into an outcome.
 */
export function formAuthenticator(orm: MikroORM, clientIp: string) {
  return new Authenticator<FormLoginResult>().use(
    new FormStrategy(async ({ form }) => {
      const submission: LoginSubmission = parseWithZod(form, { schema: loginSchema })
      if (submission.status !== 'success') return { kind: 'invalid-form', submission } as const
      const outcome = await logIn(orm, {
        email: submission.value.email,
        password: submission.value.password,
        ip: clientIp,
      })
      return { kind: 'outcome', submission, outcome } as const
    }),
    'form',
  )
}
