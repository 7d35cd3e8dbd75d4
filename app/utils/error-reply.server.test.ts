import { parseWithZod } from '@conform-to/zod/v4'
import { describe, expect, it } from 'vitest'
import * as z from '~/utils/zod'
import { DomainError } from '~/domain/domain-error'
import { readFlash } from './flash.server'
import {
  redirectWithRefusal,
  refusalReply,
  refusalResponse,
  replyWithDomainError,
} from './error-reply.server'

const schema = z.object({ email: z.string(), password: z.string() })

function submission() {
  const form = new FormData()
  form.set('email', 'ada@example.com')
  form.set('password', 'correct horse')
  return parseWithZod(form, { schema })
}

/** What replyWithDomainError threw, or a failure when it returned. */
function thrownBy(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('refusalReply', () => {
  it('puts field errors under their fields and anything else on the form', () => {
    expect(refusalReply(new DomainError('Taken.', { field: 'email' }))).toEqual({
      fieldErrors: { email: ['Taken.'] },
    })
    expect(refusalReply(new DomainError('Try again.'), ['password'])).toEqual({
      hideFields: ['password'],
      formErrors: ['Try again.'],
    })
  })
})

describe('replyWithDomainError', () => {
  it('answers a field refusal with the message under that field and its status', () => {
    const reply = replyWithDomainError(
      submission(),
      new DomainError('Already a member.', { field: 'email' }),
    )
    expect(reply.init?.status).toBe(400)
    expect(reply.data.result.status).toBe('error')
    expect(reply.data.result.error).toEqual({ email: ['Already a member.'] })
  })

  it('answers a refusal about no field as a form error, with the extra data beside it', () => {
    const reply = replyWithDomainError(
      submission(),
      new DomainError('Changed since you opened it.', { status: 409 }),
      { extra: { current: 7 } },
    )
    expect(reply.init?.status).toBe(409)
    expect(reply.data.current).toBe(7)
    expect(reply.data.result.error).toEqual({ '': ['Changed since you opened it.'] })
  })

  it('never echoes hidden fields back, and keeps the others', () => {
    const reply = replyWithDomainError(submission(), new DomainError('Wrong password.'), {
      hideFields: ['password'],
    })
    expect(reply.data.result.initialValue).toEqual({ email: 'ada@example.com' })
    const shown = replyWithDomainError(submission(), new DomainError('Wrong password.'))
    expect(shown.data.result.initialValue).toEqual({
      email: 'ada@example.com',
      password: 'correct horse',
    })
  })

  it.each([403, 404] as const)(
    'throws a %i refusal as that response for the error page',
    async (status) => {
      const thrown = thrownBy(() =>
        replyWithDomainError(submission(), new DomainError('Not here.', { status })),
      )
      expect(thrown).toBeInstanceOf(Response)
      expect((thrown as Response).status).toBe(status)
      expect(await (thrown as Response).text()).toBe('Not here.')
    },
  )

  it('rethrows whatever is not a refusal, unchanged', () => {
    const failure = new Error('connection reset')
    expect(thrownBy(() => replyWithDomainError(submission(), failure))).toBe(failure)
    const response = new Response('Bad request', { status: 400 })
    expect(thrownBy(() => replyWithDomainError(submission(), response))).toBe(response)
  })
})

describe('refusalResponse', () => {
  it('is the refusal as a response with its message and status', async () => {
    const response = refusalResponse(new DomainError('Report not found.', { status: 404 }))
    expect(response.status).toBe(404)
    expect(await response.text()).toBe('Report not found.')
  })

  it('rethrows whatever is not a refusal', () => {
    const failure = new TypeError('undefined is not a function')
    expect(thrownBy(() => refusalResponse(failure))).toBe(failure)
  })
})

describe('redirectWithRefusal', () => {
  const env = {
    SESSION_SECRET: 'a-test-secret-that-is-long-enough-to-sign',
    NODE_ENV: 'test',
    APP_URL: 'http://localhost:3000',
  }

  it('goes back with the refusal as a one-time error message', async () => {
    const response = await redirectWithRefusal(
      new DomainError('This delivery is not failed any more.', { status: 409 }),
      '/admin/deliveries',
      env,
    )
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')).toBe('/admin/deliveries')
    const cookie = response.headers.get('Set-Cookie')!.split(';')[0]!
    const next = new Request('http://localhost/admin/deliveries', { headers: { Cookie: cookie } })
    expect((await readFlash(next, env)).flash).toEqual({
      kind: 'error',
      message: 'This delivery is not failed any more.',
    })
  })

  it('throws a 404 refusal as that response and rethrows what is not a refusal', () => {
    const notFound = thrownBy(() =>
      redirectWithRefusal(new DomainError('Gone.', { status: 404 }), '/x', env),
    )
    expect((notFound as Response).status).toBe(404)
    const failure = new Error('connection reset')
    expect(thrownBy(() => redirectWithRefusal(failure, '/x', env))).toBe(failure)
  })
})
