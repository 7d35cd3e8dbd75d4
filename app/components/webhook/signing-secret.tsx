import { Card } from '~/components/card'

/** The endpoint's signing secret behind a disclosure, with how a receiver verifies a delivery. */
export function SigningSecret({ secret }: { secret: string }) {
  return (
    <Card id="secret-heading" heading="Signing">
      <details className="mt-2">
        <summary className="cursor-pointer text-sm font-medium">Show the signing secret</summary>
        <p className="mt-2">
          <code className="rounded bg-slate-100 px-2 py-1 text-sm break-all">{secret}</code>
        </p>
        <div className="mt-3 space-y-2 text-sm text-slate-700">
          <p>
            Deliveries are signed the{' '}
            <a href="https://www.standardwebhooks.com/" className="underline">
              Standard Webhooks
            </a>{' '}
            way. Each request carries <code>webhook-id</code>, <code>webhook-timestamp</code> and{' '}
            <code>webhook-signature</code> headers.
          </p>
          <p>
            To verify one, compute HMAC-SHA256 over <code>id.timestamp.body</code> (the raw request
            body), keyed with the base64-decoded part of the secret after <code>whsec_</code>, and
            compare its base64 with the value after <code>v1,</code>. Refuse timestamps more than
            five minutes old, and use the <code>webhook-id</code> to ignore a message you already
            handled. Any Standard Webhooks library does this:{' '}
            <code>new Webhook(secret).verify(body, headers)</code>.
          </p>
        </div>
      </details>
    </Card>
  )
}
