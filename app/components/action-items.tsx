import { getInputProps, getSelectProps, type FieldMetadata } from '@conform-to/react'
import { Link } from '@remix-run/react'
import * as z from '~/utils/zod'
import { formatCalendarDay } from '~/utils/time'
import {
  ACTION_ITEM_PRIORITIES,
  ACTION_ITEM_PRIORITY_LABELS,
  ACTION_ITEM_STATUSES,
  ACTION_ITEM_STATUS_LABELS,
  type ActionItemPriority,
  type ActionItemStatus,
} from '~/domain/postmortem/vocabulary'
import { Field, SelectField } from './forms'
import { TableHead } from './table-head'

/**
 * Postmortem action items on a page: a read-only table (the postmortem page and the print view
 * show it) and the fields of the add and edit forms (the action items page). Browser-safe.
 */

/** One item as the table shows it (the shape `listActionItems` returns, serialised). */
export interface ActionItemRowData {
  id: string
  title: string
  ownerName: string | null
  dueOn: string | null
  priority: ActionItemPriority
  status: ActionItemStatus
  overdue: boolean
}

/** "Fri 27 Nov 2026" for a calendar date (YYYY-MM-DD); the date is a day, not an instant. */
export function formatDueDate(date: string | null) {
  return date ? formatCalendarDay(date) : 'No due date'
}

/** "Overdue" in words (never only a colour), for tables and lists. */
export function OverdueMark() {
  return (
    <span
      className="ml-2 inline-flex rounded-full border border-red-300 bg-red-50 px-2 py-0.5 text-xs font-semibold text-red-800"
      data-overdue
    >
      Overdue
    </span>
  )
}

export function ActionItemTable({
  items,
  caption = 'Action items',
  empty = 'No action items yet.',
  cellClassName = 'px-3 py-2 align-top',
  itemLink,
}: {
  items: readonly ActionItemRowData[]
  caption?: string
  empty?: string
  cellClassName?: string
  /** Makes each title a link (e.g. to the item's edit form). */
  itemLink?: (item: ActionItemRowData) => string
}) {
  return (
    <table className="action-items min-w-full divide-y divide-slate-200 text-sm">
      <caption className="sr-only">{caption}</caption>
      <TableHead
        cellClassName={cellClassName}
        columns={['Action item', 'Owner', 'Due', 'Priority', 'Status']}
      />
      <tbody className="divide-y divide-slate-100">
        {items.length === 0 ? (
          <tr>
            <td colSpan={5} className={`${cellClassName} text-slate-600`}>
              {empty}
            </td>
          </tr>
        ) : (
          items.map((item) => (
            <tr key={item.id} data-action-item={item.id}>
              <th scope="row" className={`${cellClassName} text-left font-medium break-words`}>
                {itemLink ? (
                  <Link to={itemLink(item)} className="text-brand-700 underline">
                    {item.title}
                  </Link>
                ) : (
                  item.title
                )}
              </th>
              <td className={cellClassName}>{item.ownerName ?? 'No owner'}</td>
              <td className={`${cellClassName} whitespace-nowrap`}>
                {item.dueOn ? <time dateTime={item.dueOn}>{formatDueDate(item.dueOn)}</time> : '—'}
                {item.overdue ? <OverdueMark /> : null}
              </td>
              <td className={cellClassName}>{ACTION_ITEM_PRIORITY_LABELS[item.priority]}</td>
              <td className={cellClassName}>{ACTION_ITEM_STATUS_LABELS[item.status]}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  )
}

// ---------------------------------------------------------------------------------------------
// Forms

const title = z
  .string({ error: 'Enter a title' })
  .trim()
  .min(1, 'Enter a title')
  .max(300, 'Use at most 300 characters')
const owner = z.string({ error: 'Choose an owner' }).min(1, 'Choose an owner')
const dueOn = z
  .string({ error: 'Enter a due date' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter a date as YYYY-MM-DD')
const priority = z.enum(ACTION_ITEM_PRIORITIES, { error: 'Choose a priority from the list' })
const status = z.enum(ACTION_ITEM_STATUSES, { error: 'Choose a status from the list' })

export const createActionItemSchema = z.object({
  intent: z.literal('create'),
  title,
  owner,
  dueOn,
  priority,
})

/** Editors change every field; an owner who is not an editor sends only the status. */
export const updateActionItemSchema = z.object({
  intent: z.literal('update'),
  itemId: z.string().min(1),
  version: z.string().min(1),
  title: title.optional(),
  owner: owner.optional(),
  dueOn: dueOn.optional(),
  priority: priority.optional(),
  status,
})

export interface OwnerOption {
  value: string
  label: string
}

interface ItemFields {
  title: FieldMetadata<string | undefined>
  owner: FieldMetadata<string | undefined>
  dueOn: FieldMetadata<string | undefined>
  priority: FieldMetadata<string | undefined>
}

/** Title, Owner, Due date and Priority, labelled as the page names them. */
export function ActionItemFields({
  fields,
  owners,
}: {
  fields: ItemFields
  owners: readonly OwnerOption[]
}) {
  return (
    <div className="grid gap-x-4 sm:grid-cols-2 lg:grid-cols-4">
      <Field
        label="Title"
        errors={fields.title.errors}
        className="mb-4 sm:col-span-2 lg:col-span-4"
        {...getInputProps(fields.title, { type: 'text' })}
      />
      <SelectField
        label="Owner"
        errors={fields.owner.errors}
        options={[{ value: '', label: 'Choose a member' }, ...owners]}
        {...getSelectProps(fields.owner)}
      />
      <Field
        label="Due date"
        errors={fields.dueOn.errors}
        {...getInputProps(fields.dueOn, { type: 'date' })}
      />
      <SelectField
        label="Priority"
        errors={fields.priority.errors}
        options={ACTION_ITEM_PRIORITIES.map((p) => ({
          value: p,
          label: ACTION_ITEM_PRIORITY_LABELS[p],
        }))}
        {...getSelectProps(fields.priority)}
      />
    </div>
  )
}

/** The Status select of an edit form. */
export function ActionItemStatusField({ field }: { field: FieldMetadata<string | undefined> }) {
  return (
    <SelectField
      label="Status"
      errors={field.errors}
      options={ACTION_ITEM_STATUSES.map((s) => ({ value: s, label: ACTION_ITEM_STATUS_LABELS[s] }))}
      {...getSelectProps(field)}
    />
  )
}
