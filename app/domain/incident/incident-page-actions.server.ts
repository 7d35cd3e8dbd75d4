import type { MikroORM } from '@mikro-orm/postgresql'
import type { IncidentFormInput } from './incident-forms'
import type { Member } from '~/domain/access/guard.server'
import { customFieldsFromForm } from '~/domain/custom-fields/custom-field-values'
import { DomainError } from '~/domain/domain-error'
import { classificationText } from './classification'
import { setCustomFieldValues } from './custom-field-changes.server'
import {
  addComment,
  assignIncident,
  changeSeverity,
  correctComment,
  editIncident,
  forceEscalate,
  transitionIncident,
} from './incident-service.server'
import { assignIncidentRoles } from './incident-roles.server'
import {
  addRelatedLink,
  reclassifyIncident,
  removeRelatedLink,
  undoReclassification,
} from './reclassification.server'
import { fromLocalInput } from '~/utils/time'

/**
 * The incident page's forms, each handed to its one command: returns the line the page shows
 * after it (the flash message). Refusals are thrown as the commands throw them.
 */
export async function applyIncidentPageForm(
  orm: MikroORM,
  member: Member,
  number: number,
  input: IncidentFormInput,
  formData: FormData,
): Promise<string> {
  switch (input.intent) {
    case 'transition': {
      const done = await transitionIncident(orm, member, number, {
        action: input.action,
        reason: input.reason,
        version: input.version,
        customFields: customFieldsFromForm(formData),
      })
      return `Status is now ${done.status[0]!.toUpperCase()}${done.status.slice(1)}.`
    }
    case 'severity':
      await changeSeverity(orm, member, number, input)
      return `Severity changed to ${input.severity}.`
    case 'escalate':
      await forceEscalate(orm, member, number, {
        severity: input.severity,
        reason: input.reason,
        takeCommand: input.takeCommand === 'on',
        version: input.version,
      })
      return `Escalated to ${input.severity}.`
    case 'assign':
      await assignIncident(orm, member, number, {
        commanderId: input.commanderId || null,
        assigneeIds: input.assigneeIds,
        version: input.version,
      })
      return 'Ownership updated.'
    case 'comment':
      await addComment(orm, member, number, input)
      return 'Comment added.'
    case 'correct':
      await correctComment(orm, member, number, input)
      return 'Comment corrected.'
    case 'custom-fields':
      await setCustomFieldValues(orm, member, number, {
        values: customFieldsFromForm(formData),
        version: input.version,
      })
      return 'Fields saved.'
    case 'edit': {
      const impactStartedAt = input.impactStartedAt
        ? fromLocalInput(input.impactStartedAt, member.organization.timezone)
        : undefined
      if (input.impactStartedAt && !impactStartedAt)
        throw new DomainError('Enter a date and time', { field: 'impactStartedAt' })
      await editIncident(orm, member, number, {
        title: input.title,
        summary: input.summary,
        serviceId: input.serviceId || null,
        incidentTypeId: input.incidentTypeId || null,
        ...(impactStartedAt ? { impactStartedAt } : {}),
        version: input.version,
      })
      return 'Details saved.'
    }
    case 'reclassify': {
      const done = await reclassifyIncident(orm, member, number, input)
      return `Reclassified: ${classificationText(done.classification, done.targetNumber)}.`
    }
    case 'undo-reclassify':
      await undoReclassification(orm, member, number, input)
      return 'Reclassification undone: this is an incident again.'
    case 'link':
      await addRelatedLink(orm, member, number, input)
      return `Linked to INC-${input.relatedNumber}.`
    case 'unlink':
      await removeRelatedLink(orm, member, number, input)
      return `Link to INC-${input.relatedNumber} removed.`
    case 'roles': {
      const holders: Record<string, string | null> = {}
      input.roleId.forEach((roleId, k) => (holders[roleId] = input.holder[k] || null))
      await assignIncidentRoles(orm, member, number, {
        holders,
        version: input.version,
      })
      return 'Roles saved.'
    }
  }
}
