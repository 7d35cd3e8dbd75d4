import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { Fragment } from 'react'
import { localOutboxDir, readLocalOutbox } from '~/utils/mailer.server'

export const meta: MetaFunction = () => [{ title: 'Outbox · IncidentFlow' }]

export async function loader({ context }: LoaderFunctionArgs) {
  // E-mails carry sign-in and invitation links: this page exists only outside production.
  if (context.env.NODE_ENV === 'production' && !context.env.DEV_OUTBOX) {
    throw new Response('Not found', { status: 404 })
  }
  const emails = await readLocalOutbox(localOutboxDir(context.env), 100)
  return { delivering: Boolean(context.env.RESEND_API_KEY), emails }
}

const URL_PATTERN = /(https?:\/\/[^\s<>"']+)/g

/** Shows the plain-text body with its links clickable; nothing of it is parsed as HTML. */
function LinkedText({ text }: { text: string }) {
  const parts = text.split(URL_PATTERN)
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <a key={i} href={part} className="break-all text-brand-700 underline">
            {part}
          </a>
        ) : (
          <Fragment key={i}>{part}</Fragment>
        ),
      )}
    </>
  )
}

export default function DevOutbox() {
  const { emails, delivering } = useLoaderData<typeof loader>()
  return (
    <div>
      <h1 className="text-2xl font-bold">Outbox</h1>
      <p className="mt-2 max-w-3xl text-sm text-slate-600">
        {delivering
          ? 'E-mails are delivered through Resend (RESEND_API_KEY is set), so none are kept here.'
          : 'No e-mail provider is configured (RESEND_API_KEY is unset), so e-mails stay here instead of being sent.'}{' '}
        Available outside production only.
      </p>
      {emails.length === 0 ? (
        <p className="mt-6 rounded-md border border-dashed border-slate-300 bg-white p-6 text-slate-600">
          No e-mails yet.
        </p>
      ) : (
        <ol className="mt-6 space-y-4" aria-label="E-mails, newest first">
          {emails.map((email) => (
            <li key={email.id} className="rounded-md border border-slate-200 bg-white p-4">
              <article aria-label={email.subject}>
                <h2 className="font-semibold">{email.subject}</h2>
                <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-3 text-sm text-slate-600">
                  <dt>To</dt>
                  <dd>{email.to}</dd>
                  <dt>From</dt>
                  <dd>{email.from}</dd>
                  <dt>Stored</dt>
                  <dd>
                    <time dateTime={email.storedAt}>
                      {email.storedAt.replace('T', ' ').slice(0, 19)} UTC
                    </time>
                  </dd>
                </dl>
                <pre className="mt-3 whitespace-pre-wrap break-words rounded bg-slate-50 p-3 font-sans text-sm">
                  <LinkedText text={email.text} />
                </pre>
              </article>
            </li>
          ))}
        </ol>
      )}
    </div>
  )
}
