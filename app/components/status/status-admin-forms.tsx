import type { SubmissionResult } from '@conform-to/react'
import { Form } from '@remix-run/react'
import { Card } from '~/components/card'
import { FormError } from '~/components/form-error'
import { ErrorList, Field, SelectField, SubmitButton, TextareaField } from '~/components/forms'
import { secondaryButtonClass } from '~/components/settings-page'

/**
 * The pieces of `/admin/status-page`: the page's settings, component groups, components (each
 * mapping to services), and scheduled maintenance. Plain forms told apart by `intent`; a refused
 * one comes back with what was typed.
 */

type Result = SubmissionResult<string[]> | null

function typedValues(result: Result) {
  const typed = (result?.initialValue ?? null) as Record<string, unknown> | null
  return {
    text: (name: string, fallback = '') => {
      const v = typed?.[name]
      return typeof v === 'string' ? v : fallback
    },
    list: (name: string, fallback: string[] = []) => {
      const v = typed?.[name]
      return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : fallback
    },
    typed: typed !== null,
  }
}

function Checkboxes({
  legend,
  name,
  options,
  checked,
  errors,
}: {
  legend: string
  name: string
  options: Array<{ id: string; name: string }>
  checked: string[]
  errors?: string[] | null
}) {
  if (options.length === 0) return null
  return (
    <fieldset className="mb-4">
      <legend className="text-sm font-medium text-slate-800">{legend}</legend>
      <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
        {options.map((o) => (
          <label key={o.id} className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              name={name}
              value={o.id}
              defaultChecked={checked.includes(o.id)}
            />
            {o.name}
          </label>
        ))}
      </div>
      <ErrorList errors={errors} />
    </fieldset>
  )
}

export function StatusSettingsForm({
  page,
  publicPath,
  result,
}: {
  page: { published: boolean; title: string; intro: string; customHost: string }
  publicPath: string
  result: Result
}) {
  const v = typedValues(result)
  const errors = result?.error ?? {}
  return (
    <Card id="settings-heading" heading="Page">
      <p className="mt-1 text-sm text-slate-600">
        Published, the page is at{' '}
        <a href={publicPath} className="underline">
          {publicPath}
        </a>{' '}
        for anyone, without signing in.
      </p>
      <Form method="post" className="mt-4" aria-labelledby="settings-heading">
        <FormError errors={errors['']} />
        <label className="mb-4 flex items-center gap-2 text-sm font-medium">
          <input
            type="checkbox"
            name="published"
            value="on"
            defaultChecked={v.typed ? v.text('published') === 'on' : page.published}
          />
          Publish the status page
        </label>
        <Field
          label="Page title"
          name="title"
          maxLength={120}
          defaultValue={v.text('title', page.title)}
          errors={errors.title}
          hint="Empty: the organization’s name followed by “status”."
        />
        <TextareaField
          label="Introduction"
          name="intro"
          rows={3}
          maxLength={1000}
          defaultValue={v.text('intro', page.intro)}
          errors={errors.intro}
        />
        <Field
          label="Custom host name"
          name="customHost"
          maxLength={253}
          defaultValue={v.text('customHost', page.customHost)}
          errors={errors.customHost}
          hint="Optional, e.g. status.example.com: point its DNS at this application, which then serves the page at its root."
        />
        <SubmitButton name="intent" value="settings">
          Save page settings
        </SubmitButton>
      </Form>
    </Card>
  )
}

export function ComponentsSection({
  groups,
  services,
  components,
  groupResult,
  componentResult,
}: {
  groups: Array<{ id: string; name: string }>
  services: Array<{ id: string; name: string }>
  components: Array<{
    id: string
    name: string
    description: string
    group: string | null
    services: string[]
  }>
  groupResult: Result
  componentResult: Result
}) {
  const g = typedValues(groupResult)
  const c = typedValues(componentResult)
  const componentErrors = componentResult?.error ?? {}
  return (
    <Card id="components-heading" heading="Components">
      <ul className="mt-3 divide-y divide-slate-100">
        {components.length === 0 ? (
          <li className="py-2 text-sm text-slate-600">None yet.</li>
        ) : null}
        {components.map((component) => (
          <li
            key={component.id}
            className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm"
          >
            <span>
              <span className="font-medium">{component.name}</span>
              {component.group ? (
                <span className="text-slate-500"> · {component.group}</span>
              ) : null}
              {component.services.length > 0 ? (
                <span className="text-slate-500"> — {component.services.join(', ')}</span>
              ) : null}
            </span>
            <Form method="post">
              <input type="hidden" name="id" value={component.id} />
              <button
                type="submit"
                name="intent"
                value="archive-component"
                className={secondaryButtonClass}
              >
                Remove {component.name}
              </button>
            </Form>
          </li>
        ))}
      </ul>
      <Form
        method="post"
        className="mt-4 border-t border-slate-100 pt-4"
        aria-label="Add component"
      >
        <FormError errors={componentErrors['']} />
        <div className="grid gap-x-3 sm:grid-cols-2">
          <Field
            label="Component name"
            name="name"
            required
            maxLength={100}
            defaultValue={c.text('name')}
            errors={componentErrors.name}
          />
          <SelectField
            label="Group"
            name="groupId"
            defaultValue={c.text('groupId')}
            errors={componentErrors.groupId}
            options={[
              { value: '', label: 'No group' },
              ...groups.map((x) => ({ value: x.id, label: x.name })),
            ]}
          />
        </div>
        <Field
          label="Description"
          name="description"
          maxLength={300}
          defaultValue={c.text('description')}
          errors={componentErrors.description}
        />
        <Checkboxes
          legend="Services"
          name="serviceIds"
          options={services}
          checked={c.list('serviceIds')}
          errors={componentErrors.serviceIds}
        />
        <SubmitButton name="intent" value="add-component" variant="secondary">
          Add component
        </SubmitButton>
      </Form>
      <Form method="post" className="mt-4 border-t border-slate-100 pt-4" aria-label="Add group">
        <div className="grid gap-x-3 sm:grid-cols-[1fr_auto] sm:items-start">
          <Field
            label="Group name"
            name="groupName"
            required
            maxLength={100}
            defaultValue={g.text('groupName')}
            errors={groupResult?.error?.groupName}
            hint={groups.length > 0 ? `Groups: ${groups.map((x) => x.name).join(', ')}` : undefined}
          />
          <div className="sm:pt-6">
            <SubmitButton name="intent" value="add-group" variant="secondary">
              Add group
            </SubmitButton>
          </div>
        </div>
      </Form>
    </Card>
  )
}

export function MaintenanceSection({
  maintenance,
  components,
  timeZone,
  result,
}: {
  maintenance: Array<{
    id: string
    title: string
    message: string
    startsAt: string
    endsAt: string
    components: string[]
    phase: string
    cancellable: boolean
  }>
  components: Array<{ id: string; name: string }>
  timeZone: string
  result: Result
}) {
  const v = typedValues(result)
  const errors = result?.error ?? {}
  return (
    <Card id="maintenance-heading" heading="Scheduled maintenance">
      <ul className="mt-3 divide-y divide-slate-100">
        {maintenance.length === 0 ? (
          <li className="py-2 text-sm text-slate-600">None scheduled.</li>
        ) : null}
        {maintenance.map((m) => (
          <li key={m.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
            <span>
              <span className="font-medium">{m.title}</span> · {m.phase} · {m.startsAt} to{' '}
              {m.endsAt}
              {m.components.length > 0 ? ` · ${m.components.join(', ')}` : ''}
            </span>
            {m.cancellable ? (
              <Form method="post">
                <input type="hidden" name="id" value={m.id} />
                <button
                  type="submit"
                  name="intent"
                  value="cancel-maintenance"
                  className={secondaryButtonClass}
                >
                  Cancel {m.title}
                </button>
              </Form>
            ) : null}
          </li>
        ))}
      </ul>
      <Form
        method="post"
        className="mt-4 border-t border-slate-100 pt-4"
        aria-label="Schedule maintenance"
      >
        <FormError errors={errors['']} />
        <Field
          label="Maintenance title"
          name="maintenanceTitle"
          required
          maxLength={200}
          defaultValue={v.text('maintenanceTitle')}
          errors={errors.maintenanceTitle}
        />
        <div className="grid gap-x-3 sm:grid-cols-2">
          <Field
            label="Starts at"
            name="startsAt"
            type="datetime-local"
            required
            defaultValue={v.text('startsAt')}
            errors={errors.startsAt}
            hint={`In ${timeZone}.`}
          />
          <Field
            label="Ends at"
            name="endsAt"
            type="datetime-local"
            required
            defaultValue={v.text('endsAt')}
            errors={errors.endsAt}
            hint={`In ${timeZone}.`}
          />
        </div>
        <TextareaField
          label="Maintenance message"
          name="message"
          rows={3}
          maxLength={5000}
          defaultValue={v.text('message')}
          errors={errors.message}
        />
        <Checkboxes
          legend="Components affected"
          name="componentIds"
          options={components}
          checked={v.list('componentIds')}
          errors={errors.componentIds}
        />
        <SubmitButton name="intent" value="schedule-maintenance" variant="secondary">
          Schedule maintenance
        </SubmitButton>
      </Form>
    </Card>
  )
}
