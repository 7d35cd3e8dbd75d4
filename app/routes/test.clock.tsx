import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import * as z from '~/utils/zod'
import { queueSlaSweep } from '~/domain/sla/sweep.server'
import { advanceClock, clockOffsetMs, now } from '~/utils/clock'
import { readFormData } from '~/utils/form-data.server'

/**
 * Test-only control of the application clock (NODE_ENV=test; a 404 in every other mode). Moving
 * the clock moves this web process's "now" and runs an SLA sweep in the worker at that time, so an
 * end-to-end test sees a deadline pass without waiting for it.
 */
export const meta: MetaFunction = () => [{ title: 'Test clock · IncidentFlow' }]

const MINUTES_HELP = 'Enter whole minutes from 1 to 43200.'
const schema = z.object({
  minutes: z
    .number({ error: MINUTES_HELP })
    .int(MINUTES_HELP)
    .min(1, MINUTES_HELP)
    .max(60 * 24 * 30, MINUTES_HELP),
})

function assertTestMode(env: { NODE_ENV: string }) {
  if (env.NODE_ENV !== 'test') throw new Response('Not found', { status: 404 })
}

export async function loader({ context }: LoaderFunctionArgs) {
  assertTestMode(context.env)
  return { now: now().toISOString(), offsetMinutes: Math.round(clockOffsetMs() / 60_000) }
}

export async function action({ request, context }: ActionFunctionArgs) {
  assertTestMode(context.env)
  const submission = parseWithZod(await readFormData(request), { schema })
  if (submission.status !== 'success')
    return data({ error: MINUTES_HELP, sweepJob: null }, { status: 400 })
  advanceClock(submission.value.minutes * 60_000)
  const sweepJob = await queueSlaSweep(context.boss, now())
  return { error: null, sweepJob }
}

export default function TestClock() {
  const { now: current, offsetMinutes } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  return (
    <div className="max-w-lg space-y-4">
      <h1 className="text-2xl font-bold">Test clock</h1>
      <p>
        Now: <time dateTime={current}>{current}</time> ({offsetMinutes} min ahead of real time)
      </p>
      <Form method="post" className="flex items-end gap-2">
        <label className="flex flex-col text-sm">
          Minutes to advance
          <input name="minutes" type="number" min={1} className="rounded border px-2 py-1" />
        </label>
        <button type="submit" className="rounded bg-slate-900 px-3 py-1.5 text-white">
          Advance clock
        </button>
      </Form>
      {result?.error ? <p role="alert">{result.error}</p> : null}
      {result?.sweepJob ? <p role="status">Clock advanced; SLA sweep queued.</p> : null}
    </div>
  )
}
