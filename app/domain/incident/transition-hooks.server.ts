import type { EntityManager } from '@mikro-orm/postgresql'
import type { Incident } from '../../../db/entities/incident'
import { closeRefusal, getOrCreatePostmortem } from '~/domain/postmortem/postmortem.server'
import { refreshSlaDeadline } from '~/domain/sla/sla.server'
import { requiredFieldsRefusal } from './custom-field-changes.server'
import { LIFECYCLE, type StatusEffect, type Transition, type TransitionGuard } from './lifecycle'

/**
 * What the hook names of the lifecycle table (`lifecycle.ts`) do. Both maps are keyed by every
 * name the table may use, so a name without an implementation fails to compile.
 */

interface EffectContext {
  /** Who made the move; null for the system. */
  actorId: string | null
  now: Date
}

/** Each guard's refusal, in words for the person who asked, or null to let the move go ahead. */
const GUARDS: Record<
  TransitionGuard,
  (em: EntityManager, incident: Incident) => Promise<string | null>
> = {
  'postmortem-published': closeRefusal,
}

const EFFECTS: Record<
  StatusEffect,
  (em: EntityManager, incident: Incident, context: EffectContext) => Promise<void>
> = {
  'refresh-sla-deadline': (em, incident, { now }) => refreshSlaDeadline(em, incident, now),
  'create-postmortem': async (em, incident, { actorId, now }) => {
    await getOrCreatePostmortem(em, incident, actorId, now)
  },
}

/**
 * The first refusal of the transition's guards, in the table's order, then the custom fields the
 * new status requires and the incident leaves empty; null when all pass.
 */
export async function transitionRefusal(
  em: EntityManager,
  incident: Incident,
  transition: Transition,
): Promise<string | null> {
  for (const guard of transition.onStart) {
    const refusal = await GUARDS[guard](em, incident)
    if (refusal) return refusal
  }
  return requiredFieldsRefusal(em, incident, transition.to)
}

/**
 * The effects of the status the incident has just entered: its first-entry effects when this
 * entry stamped the status's time, then its every-entry effects, each in the table's order.
 */
export async function runEntryEffects(
  em: EntityManager,
  incident: Incident,
  firstEntry: boolean,
  context: EffectContext,
) {
  const rules = LIFECYCLE[incident.status]
  for (const effect of [...(firstEntry ? rules.onFirstEntry : []), ...rules.onEnter])
    await EFFECTS[effect](em, incident, context)
}
