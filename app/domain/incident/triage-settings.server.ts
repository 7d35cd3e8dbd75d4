import type { MikroORM } from '@mikro-orm/postgresql'
import { TriageMatrixSchema } from '../../../db/entities/incident'
import { inScope } from '../../../db/tenant'
import { referenceWritten } from '~/utils/reference-cache.server'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { IncidentError } from './incident-errors'
import type { TriageMatrix } from './triage'

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

export async function saveTriageMatrix(orm: MikroORM, member: Actorish, matrix: TriageMatrix) {
  if (!can(member.role, 'settings.manage'))
    throw new IncidentError(null, 'Only admins can change the triage matrix.', 403)
  await inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const row = await em.findOne(TriageMatrixSchema, { organizationId: member.organization.id })
    if (row) {
      row.matrix = matrix
      row.updatedBy = member.user.id
    } else {
      em.create(TriageMatrixSchema, {
        organizationId: member.organization.id,
        matrix,
        updatedBy: member.user.id,
      })
    }
  })
  referenceWritten(orm, member.organization.id)
}
