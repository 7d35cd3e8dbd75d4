import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import { isRouteErrorResponse, useActionData, useLoaderData, useRouteError } from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import {
  ComponentsSection,
  MaintenanceSection,
  StatusSettingsForm,
} from '~/components/status/status-admin-forms'
import { requireMember } from '~/domain/access/guard.server'
import { DomainError } from '~/domain/domain-error'
import {
  addComponent,
  addComponentGroup,
  archiveComponent,
  cancelMaintenance,
  saveStatusPageSettings,
  scheduleMaintenance,
  statusAdminView,
} from '~/domain/status/status-admin.server'
import { now as clockNow } from '~/utils/clock'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'
import { fromLocalInput } from '~/utils/time'

/** The organization's public status page: settings, components and scheduled maintenance. */

const uuidList = z.preprocess(
  (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]),
  z.array(z.uuid()),
)
const schemas = {
  settings: z.object({
    intent: z.literal('settings'),
    published: z.literal('on').optional(),
    title: z.string().trim().max(120, 'Use at most 120 characters').optional().default(''),
    intro: z.string().trim().max(1000, 'Use at most 1000 characters').optional().default(''),
    customHost: z.string().trim().max(253, 'Use at most 253 characters').optional().default(''),
  }),
  'add-group': z.object({
    intent: z.literal('add-group'),
    groupName: z.string({ error: 'Enter a name' }).trim().min(1, 'Enter a name').max(100),
  }),
  'add-component': z.object({
    intent: z.literal('add-component'),
    name: z.string({ error: 'Enter a name' }).trim().min(1, 'Enter a name').max(100),
    description: z.string().trim().max(300).optional().default(''),
    groupId: z
      .union([z.literal(''), z.uuid()])
      .optional()
      .default(''),
    serviceIds: uuidList,
  }),
  'schedule-maintenance': z.object({
    intent: z.literal('schedule-maintenance'),
    maintenanceTitle: z.string({ error: 'Enter a title' }).trim().min(1, 'Enter a title').max(200),
    message: z.string().trim().max(5000).optional().default(''),
    startsAt: z.string({ error: 'Enter a date and time' }),
    endsAt: z.string({ error: 'Enter a date and time' }),
    componentIds: uuidList,
  }),
  'archive-component': z.object({ intent: z.literal('archive-component'), id: z.uuid() }),
  'cancel-maintenance': z.object({ intent: z.literal('cancel-maintenance'), id: z.uuid() }),
}
type Intent = keyof typeof schemas

export const meta: MetaFunction = () => [{ title: 'Status page · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  return {
    ...(await statusAdminView(context.orm, member, clockNow())),
    timeZone: member.organization.timezone,
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const formData = await readFormData(request)
  const intent = String(formData.get('intent') ?? '') as Intent
  const schema = schemas[intent]
  if (!schema) throw new Response('Bad request', { status: 400 })
  const submission = parseWithZod(formData, { schema })
  if (submission.status !== 'success')
    return data({ intent, result: submission.reply() }, { status: 400 })
  const input = submission.value
  const now = clockNow()
  const links = {
    pageUrl: `${context.env.APP_URL}/status/${member.organization.slug}`,
    secret: context.env.SESSION_SECRET,
  }
  let message: string
  try {
    switch (input.intent) {
      case 'settings':
        await saveStatusPageSettings(
          context.orm,
          member,
          {
            published: input.published === 'on',
            title: input.title,
            intro: input.intro,
            customHost: input.customHost,
          },
          { appHost: new URL(context.env.APP_URL).hostname, now },
        )
        message = input.published === 'on' ? 'Status page published.' : 'Status page saved.'
        break
      case 'add-group':
        await addComponentGroup(context.orm, member, input.groupName)
        message = `Added group ${input.groupName}.`
        break
      case 'add-component':
        await addComponent(context.orm, member, {
          name: input.name,
          description: input.description,
          groupId: input.groupId || null,
          serviceIds: input.serviceIds,
        })
        message = `Added ${input.name}.`
        break
      case 'archive-component':
        await archiveComponent(context.orm, member, input.id, now)
        message = 'Component removed from the page.'
        break
      case 'schedule-maintenance': {
        const timeZone = member.organization.timezone
        const startsAt = fromLocalInput(input.startsAt, timeZone)
        const endsAt = fromLocalInput(input.endsAt, timeZone)
        if (!startsAt) throw new DomainError('Enter a date and time', { field: 'startsAt' })
        if (!endsAt) throw new DomainError('Enter a date and time', { field: 'endsAt' })
        await scheduleMaintenance(
          context.orm,
          context.boss,
          member,
          {
            title: input.maintenanceTitle,
            message: input.message,
            startsAt,
            endsAt,
            componentIds: input.componentIds,
          },
          { now, links },
        )
        message = `Scheduled ${input.maintenanceTitle}.`
        break
      }
      case 'cancel-maintenance':
        await cancelMaintenance(context.orm, member, input.id, now)
        message = 'Maintenance cancelled.'
        break
    }
  } catch (error) {
    return replyWithDomainError(submission, error, { extra: { intent } })
  }
  return redirectWithFlash('/admin/status-page', { kind: 'success', message }, context.env)
}

export default function StatusPageSettings() {
  const view = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const resultFor = (intent: Intent) => (actionData?.intent === intent ? actionData.result : null)
  return (
    <div className="space-y-8">
      <header>
        <h1 className="text-2xl font-bold">Status page</h1>
        <p className="mt-1 text-sm text-slate-600">
          What visitors see of your incidents: only what someone posts with “Post public update” on
          an incident. {view.confirmedSubscribers} confirmed e-mail subscriber
          {view.confirmedSubscribers === 1 ? '' : 's'}.
        </p>
      </header>
      <StatusSettingsForm
        page={view.page}
        publicPath={view.publicPath}
        result={resultFor('settings')}
      />
      <ComponentsSection
        groups={view.groups}
        services={view.services}
        components={view.components}
        groupResult={resultFor('add-group')}
        componentResult={resultFor('add-component')}
      />
      <MaintenanceSection
        maintenance={view.maintenance}
        components={view.components}
        timeZone={view.timeZone}
        result={resultFor('schedule-maintenance')}
      />
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
