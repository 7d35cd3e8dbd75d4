import { getFormProps, getInputProps, getSelectProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import {
  Form,
  isRouteErrorResponse,
  Link,
  useActionData,
  useLoaderData,
  useRouteError,
} from '@remix-run/react'
import * as z from '~/utils/zod'
import { Card } from '~/components/card'
import { ErrorPage } from '~/components/error-page'
import { FormError } from '~/components/form-error'
import { Field, SelectField, SubmitButton } from '~/components/forms'
import { DataTable } from '~/components/data-table'
import { SecretShownOnce } from '~/components/secret-shown-once'
import { requireMember } from '~/domain/access/guard.server'
import {
  DEFAULT_TOKEN_EXPIRY,
  TOKEN_EXPIRY_CHOICES,
  TOKEN_EXPIRY_LABELS,
  TOKEN_NAME_MAX,
} from '~/domain/api/token-vocabulary'
import { createApiToken, listApiTokens, revokeApiToken } from '~/domain/api/tokens.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { now as clockNow } from '~/utils/clock'
import { formatInZone } from '~/utils/time'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { forwardCacheControl } from '~/utils/cache-headers'
import { readFormData } from '~/utils/form-data.server'

const createSchema = z.object({
  intent: z.literal('create'),
  name: z
    .string({ error: 'Give the token a name' })
    .trim()
    .min(1, 'Give the token a name')
    .max(TOKEN_NAME_MAX, `Use at most ${TOKEN_NAME_MAX} characters`),
  expiresIn: z.enum(TOKEN_EXPIRY_CHOICES, { error: 'Choose one from the list' }),
})

const revokeSchema = z.object({ intent: z.literal('revoke'), tokenId: z.string().max(64) })

/** The secret is in the answer to the create form: no cache may keep that page. */
export const headers = forwardCacheControl

export const meta: MetaFunction = () => [{ title: 'API tokens · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  // Not under /account's layout (the file name's `_`): a token belongs to an organization.
  const member = await requireMember(request, context)
  const tokens = await listApiTokens(context.orm, member)
  const now = clockNow()
  return data(
    {
      organizationName: member.organization.name,
      timeZone: member.organization.timezone,
      tokens: tokens.map((t) => ({
        id: t.id,
        name: t.name,
        hint: t.hint,
        createdAt: t.createdAt.toISOString(),
        lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
        expiresAt: t.expiresAt?.toISOString() ?? null,
        revokedAt: t.revokedAt?.toISOString() ?? null,
        expired: !t.revokedAt && t.expiresAt !== null && t.expiresAt <= now,
      })),
    },
    { headers: { 'Cache-Control': 'private, no-store' } },
  )
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context)
  const formData = await readFormData(request)
  if (formData.get('intent') === 'revoke') {
    const submission = parseWithZod(formData, { schema: revokeSchema })
    if (submission.status !== 'success') throw new Response('Bad request', { status: 400 })
    try {
      const { name } = await revokeApiToken(context.orm, member, submission.value.tokenId)
      return redirectWithFlash(
        '/account/tokens',
        { kind: 'success', message: `Token “${name}” revoked. It no longer works.` },
        context.env,
      )
    } catch (error) {
      return replyWithDomainError(submission, error, { extra: { created: null } })
    }
  }

  const submission = parseWithZod(formData, { schema: createSchema })
  if (submission.status !== 'success')
    return data({ result: submission.reply(), created: null }, { status: 400 })
  try {
    const created = await createApiToken(context.orm, member, submission.value)
    return data(
      {
        result: submission.reply({ resetForm: true }),
        created: {
          name: created.name,
          token: created.token,
          expiresAt: created.expiresAt?.toISOString() ?? null,
        },
      },
      { headers: { 'Cache-Control': 'no-store' } },
    )
  } catch (error) {
    return replyWithDomainError(submission, error, { extra: { created: null } })
  }
}

export default function ApiTokens() {
  const { tokens, organizationName, timeZone } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const [form, fields] = useForm({
    lastResult: actionData?.result,
    constraint: getZodConstraint(createSchema),
    defaultValue: { expiresIn: DEFAULT_TOKEN_EXPIRY },
    shouldValidate: 'onBlur',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: createSchema }),
  })
  const when = (iso: string) => formatInZone(iso, timeZone)
  const created = actionData?.created
  return (
    <div className="mx-auto max-w-4xl space-y-8">
      <header>
        <p className="text-sm">
          <Link to="/account" className="underline">
            Account
          </Link>
        </p>
        <h1 className="text-2xl font-bold">API tokens</h1>
        <p className="mt-1 text-sm text-slate-600">
          Personal tokens for the JSON API of {organizationName}. A token acts as you, with the role
          you have in {organizationName} at the time of each request. See the{' '}
          <a href="/api/v1/openapi.json" className="underline">
            API description
          </a>
          .
        </p>
      </header>

      {created ? (
        <SecretShownOnce
          id="new-token"
          heading={<>Your new token “{created.name}”</>}
          message="Copy it now and keep it somewhere safe. You will not see it again: IncidentFlow keeps only a fingerprint of it."
          label="New API token"
          value={created.token}
        >
          <p className="mt-2 text-xs text-slate-600">
            {created.expiresAt ? `Expires ${when(created.expiresAt)}.` : 'Does not expire.'} Use it
            as <code>Authorization: Bearer &lt;token&gt;</code>.
          </p>
        </SecretShownOnce>
      ) : null}

      <Card id="create-heading" heading="Create a token">
        <Form method="post" className="mt-4 max-w-xl" {...getFormProps(form)}>
          <FormError id={form.errorId} errors={form.errors} />
          <Field
            label="Token name"
            hint="What it is for, e.g. “Deploy bot”."
            errors={fields.name.errors}
            {...getInputProps(fields.name, { type: 'text' })}
          />
          <SelectField
            label="Expires"
            errors={fields.expiresIn.errors}
            options={TOKEN_EXPIRY_CHOICES.map((value) => ({
              value,
              label: TOKEN_EXPIRY_LABELS[value],
            }))}
            {...getSelectProps(fields.expiresIn)}
          />
          <SubmitButton name="intent" value="create" pendingLabel="Creating…">
            Create token
          </SubmitButton>
        </Form>
      </Card>

      <section aria-labelledby="tokens-heading">
        <h2 id="tokens-heading" className="text-lg font-semibold">
          Your tokens
        </h2>
        {tokens.length === 0 ? (
          <p className="mt-2 text-sm text-slate-600">No tokens yet.</p>
        ) : (
          <DataTable
            cellClassName="px-4 py-2"
            columns={['Name', 'Token', 'Created', 'Last used', 'Expires', 'Status']}
          >
            {tokens.map((t) => (
              <tr key={t.id}>
                <td className="px-4 py-2 align-top font-medium break-all">{t.name}</td>
                <td className="px-4 py-2 align-top font-mono text-xs">{t.hint}</td>
                <td className="px-4 py-2 align-top">{when(t.createdAt)}</td>
                <td className="px-4 py-2 align-top">
                  {t.lastUsedAt ? when(t.lastUsedAt) : 'Never'}
                </td>
                <td className="px-4 py-2 align-top">{t.expiresAt ? when(t.expiresAt) : 'Never'}</td>
                <td className="px-4 py-2 align-top">
                  {t.revokedAt ? (
                    `Revoked ${when(t.revokedAt)}`
                  ) : t.expired ? (
                    'Expired'
                  ) : (
                    <Form method="post">
                      <input type="hidden" name="intent" value="revoke" />
                      <input type="hidden" name="tokenId" value={t.id} />
                      <button
                        type="submit"
                        className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50"
                      >
                        Revoke<span className="sr-only"> {t.name}</span>
                      </button>
                    </Form>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
