import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import type { MikroORM } from '@mikro-orm/postgresql'
import type { UploadHandlerPart } from '@remix-run/node'
import { AttachmentSchema, IncidentSchema } from '../../../db/entities/incident'
import { inScope, readScope } from '../../../db/tenant'
import { isObjectTooLarge, evidenceKey, type ObjectStore } from '~/utils/storage/storage.server'
import type { Member } from '~/domain/access/guard.server'
import { appendEvent, lockIncident } from '~/domain/incident/event-store.server'
import { IncidentError } from '~/domain/incident/incident-errors'
import { canWork } from '~/domain/incident/incident-queries.server'
import { SNIFF_BYTES, displayName, sniff } from './file-type'
import { isUuid } from '~/utils/uuid'
import { now as clockNow } from '~/utils/clock'

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

export interface EvidenceLimits {
  maxBytes: number
  quotaBytes: number
}

function megabytes(bytes: number) {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`
}

/**
 * Checks, before any byte of the file is read, that this member may add evidence to this
 * incident; returns the incident and how many bytes its quota still allows.
 */
export async function prepareUpload(
  orm: MikroORM,
  member: Actorish,
  number: number,
  limits: EvidenceLimits,
) {
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const incident = await em.findOne(IncidentSchema, {
      organizationId: member.organization.id,
      number,
    })
    if (!incident) throw new IncidentError(null, 'Incident not found', 404)
    if (!canWork(member, incident)) {
      throw new IncidentError(
        null,
        'Only the commander, an assignee or an admin can add evidence.',
        403,
      )
    }
    if (incident.status === 'closed')
      throw new IncidentError(null, 'A closed incident cannot change.')
    const [row] = await em.execute<{ used: string | null }[]>(
      'select sum(size_bytes) as used from attachment where organization_id = ? and incident_id = ? and withdrawn_at is null',
      [member.organization.id, incident.id],
    )
    const used = Number(row?.used ?? 0)
    const remaining = limits.quotaBytes - used
    return {
      incidentId: incident.id,
      allowedBytes: Math.min(limits.maxBytes, remaining),
      quotaLeft: remaining,
    }
  })
}

export type StagedUpload =
  | {
      ok: true
      objectKey: string
      objectId: string
      displayName: string
      contentType: string
      size: number
      sha256: string
    }
  | { ok: false; message: string }

/** Reads and throws away the rest of a part, so the browser gets our answer instead of a reset. */
async function drain(iterator: AsyncIterator<Uint8Array>) {
  for (;;) {
    const { done } = await iterator.next()
    if (done) return
  }
}

/**
 * Streams one uploaded file part into object storage: sniffs its leading bytes, refuses what is
 * not allowed, and stops at the size limit — leaving no object behind in either case.
 */
export async function stageUpload(
  store: ObjectStore,
  part: UploadHandlerPart,
  target: {
    organizationId: string
    incidentId: string
    allowedBytes: number
    maxBytes: number
    quotaLeft: number
  },
): Promise<StagedUpload> {
  const iterator = part.data[Symbol.asyncIterator]()
  const head: Uint8Array[] = []
  let headLength = 0
  let finished = false
  while (headLength < SNIFF_BYTES) {
    const { value, done } = await iterator.next()
    if (done) {
      finished = true
      break
    }
    head.push(value)
    headLength += value.length
  }
  const headBytes = Buffer.concat(head)
  const name = displayName(part.filename)
  if (!part.filename && headLength === 0) return { ok: false, message: 'Choose a file to upload.' }
  const verdict = sniff(
    headBytes.subarray(0, SNIFF_BYTES),
    name,
    finished && headLength <= SNIFF_BYTES,
  )
  if (!verdict.ok) {
    if (!finished) await drain(iterator)
    return { ok: false, message: verdict.reason }
  }
  if (target.allowedBytes <= 0) {
    if (!finished) await drain(iterator)
    return {
      ok: false,
      message: `This incident's evidence quota is used up. Withdraw evidence that is no longer needed.`,
    }
  }
  const objectId = randomUUID()
  const objectKey = evidenceKey(target.organizationId, target.incidentId, objectId)
  async function* chunks() {
    yield headBytes
    if (finished) return
    for (;;) {
      const { value, done } = await iterator.next()
      if (done) return
      yield value
    }
  }
  try {
    const stored = await store.put(objectKey, Readable.from(chunks()), {
      contentType: verdict.contentType,
      maxBytes: target.allowedBytes,
    })
    return {
      ok: true,
      objectKey,
      objectId,
      displayName: name,
      contentType: verdict.contentType,
      size: stored.size,
      sha256: stored.sha256,
    }
  } catch (error) {
    if (isObjectTooLarge(error)) {
      await drain(iterator)
      const byQuota = target.allowedBytes < target.maxBytes
      return {
        ok: false,
        message: byQuota
          ? `The file does not fit in this incident's remaining evidence quota (${megabytes(target.quotaLeft)}).`
          : `The file is larger than the limit of ${megabytes(target.maxBytes)}.`,
      }
    }
    throw error
  }
}

/**
 * Records a staged upload: the attachment row and its `attachment.added` event in one
 * transaction. If that fails, the object is removed so nothing is left without a record.
 */
export async function recordUpload(
  orm: MikroORM,
  store: ObjectStore,
  member: Actorish,
  number: number,
  staged: Extract<StagedUpload, { ok: true }>,
  description: string,
  now = clockNow(),
) {
  try {
    return await inScope(orm, { organizationId: member.organization.id }, async (em) => {
      const incident = await lockIncident(em, member.organization.id, number, undefined)
      if (!canWork(member, incident))
        throw new IncidentError(
          null,
          'Only the commander, an assignee or an admin can add evidence.',
          403,
        )
      em.create(AttachmentSchema, {
        id: staged.objectId,
        organizationId: member.organization.id,
        incidentId: incident.id,
        objectKey: staged.objectKey,
        displayName: staged.displayName,
        contentType: staged.contentType,
        sizeBytes: staged.size,
        sha256: staged.sha256,
        description: description.trim().slice(0, 500),
        uploadedBy: member.user.id,
        uploadedAt: now,
      })
      await appendEvent(
        em,
        incident,
        'attachment.added',
        {
          attachmentId: staged.objectId,
          displayName: staged.displayName,
          contentType: staged.contentType,
          size: staged.size,
          sha256: staged.sha256,
          description: description.trim().slice(0, 500),
        },
        member.user.id,
        now,
      )
      return { attachmentId: staged.objectId }
    })
  } catch (error) {
    await store.delete(staged.objectKey).catch(() => {})
    throw error
  }
}

/** Withdrawing keeps the object and the history; the file just stops being current evidence. */
export async function withdrawEvidence(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: { attachmentId: string; reason: string; version?: number },
  now = clockNow(),
) {
  const reason = input.reason.trim()
  if (!reason) throw new IncidentError('reason', 'Give a reason for withdrawing the evidence.')
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const incident = await lockIncident(em, member.organization.id, number, input.version)
    if (!canWork(member, incident))
      throw new IncidentError(
        null,
        'Only the commander, an assignee or an admin can withdraw evidence.',
        403,
      )
    const attachment = isUuid(input.attachmentId)
      ? await em.findOne(AttachmentSchema, {
          id: input.attachmentId,
          organizationId: member.organization.id,
          incidentId: incident.id,
        })
      : null
    if (!attachment) throw new IncidentError(null, 'Evidence not found', 404)
    if (attachment.withdrawnAt)
      throw new IncidentError(null, 'This evidence was already withdrawn.')
    attachment.withdrawnAt = now
    attachment.withdrawnBy = member.user.id
    attachment.withdrawReason = reason
    await appendEvent(
      em,
      incident,
      'attachment.withdrawn',
      { attachmentId: attachment.id, displayName: attachment.displayName, reason },
      member.user.id,
      now,
    )
  })
}

/** One attachment of an incident the member can see, for downloading; null when not theirs. */
export async function findAttachment(
  orm: MikroORM,
  member: Actorish,
  number: number,
  attachmentId: string,
) {
  if (!isUuid(attachmentId)) return null
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const incident = await em.findOne(IncidentSchema, {
      organizationId: member.organization.id,
      number,
    })
    if (!incident) return null
    return em.findOne(AttachmentSchema, {
      id: attachmentId,
      organizationId: member.organization.id,
      incidentId: incident.id,
    })
  })
}

export async function listAttachments(orm: MikroORM, organizationId: string, incidentId: string) {
  return readScope(orm, { organizationId }, (em) =>
    em.find(AttachmentSchema, { organizationId, incidentId }, { orderBy: { uploadedAt: 'asc' } }),
  )
}
