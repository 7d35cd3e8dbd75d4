import type { MikroORM } from '@mikro-orm/postgresql'
import type { Submission } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod/v4'
import { Authenticator } from 'remix-auth'
import { FormStrategy } from 'remix-auth-form'
import type * as z from 'zod'
import { logIn, type LoginOutcome } from './accounts.server'
import { loginSchema } from './login-schema'

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
