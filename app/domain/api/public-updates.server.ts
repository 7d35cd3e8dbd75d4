import type { AppLoadContext } from '@remix-run/node'
import { DomainError } from '~/domain/domain-error'
import {
  listPublicUpdates,
  postPublicUpdate,
  type StoredPublicUpdate,
} from '~/domain/status/public-updates.server'
import { now as clockNow } from '~/utils/clock'
import { ApiError, fromDomainError } from './http.server'
import { incidentLinks } from './incidents.server'
import type { ApiPublicUpdate, PublicUpdateRequestSchema } from './schemas'
import type { ApiActor } from './tokens.server'
import type * as z from 'zod'

/** The status page's words for an update's fields, in the API's: `body` is `message`. */
const API_FIELD: Record<string, string> = { body: 'message' }

export function toApiPublicUpdate(update: StoredPublicUpdate): ApiPublicUpdate {
  return {
    id: update.id,
    title: update.title,
    status: update.status,
    message: update.body,
    components: update.components.map((c) => ({ id: c.componentId, state: c.state })),
    postedAt: update.postedAt.toISOString(),
    postedBy: update.postedBy,
  }
}

/** The incident's public updates, newest first; 404 for an incident the actor cannot see. */
export async function apiPublicUpdates(context: AppLoadContext, actor: ApiActor, number: number) {
  const found = await listPublicUpdates(context.orm, actor, number)
  if (!found) throw new ApiError('not_found', 'Incident not found.')
  return {
    incident: {
      id: `INC-${found.number}`,
      number: found.number,
      links: incidentLinks(context.env.APP_URL, found.number),
    },
    data: found.updates.map(toApiPublicUpdate),
  }
}

/**
 * Posts a public update as the "Post public update" form does (same rules, same e-mails to
 * subscribers) and answers the stored update. The status page's refusals are named in the API's
 * fields; an unknown component is a field error, not a missing incident.
 */
export async function postApiPublicUpdate(
  context: AppLoadContext,
  actor: ApiActor,
  number: number,
  input: z.output<typeof PublicUpdateRequestSchema>,
): Promise<ApiPublicUpdate> {
  let title = input.title
  if (title === undefined) {
    const found = await listPublicUpdates(context.orm, actor, number)
    if (!found) throw new ApiError('not_found', 'Incident not found.')
    title = found.defaultTitle
  }
  let id: string
  try {
    ;({ id } = await postPublicUpdate(
      context.orm,
      context.boss,
      actor,
      number,
      {
        title,
        status: input.status,
        body: input.message,
        components: (input.components ?? []).map((c) => ({ componentId: c.id, state: c.state })),
      },
      {
        now: clockNow(),
        links: {
          pageUrl: `${context.env.APP_URL}/status/${actor.organization.slug}`,
          secret: context.env.SESSION_SECRET,
        },
      },
    ))
  } catch (error) {
    throw apiRefusal(error)
  }
  const stored = (await listPublicUpdates(context.orm, actor, number))?.updates.find(
    (u) => u.id === id,
  )
  if (!stored) throw new Error(`public update ${id} of INC-${number} missing after commit`)
  return toApiPublicUpdate(stored)
}

function apiRefusal(error: unknown): unknown {
  if (!(error instanceof DomainError)) return error
  const fields = Object.entries(error.fieldErrors).map(
    ([field, messages]) => [API_FIELD[field] ?? field, messages] as const,
  )
  if (fields.length > 0 && (error.status === 400 || error.status === 404))
    return new ApiError('validation_failed', error.message, {
      fields: Object.fromEntries(fields),
    })
  return fromDomainError(error) ?? error
}
