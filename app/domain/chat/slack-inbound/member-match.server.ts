import type { MikroORM } from '@mikro-orm/postgresql'
import { inScope, readScope } from '../../../../db/tenant'
import type { Member } from '~/domain/access/guard.server'
import { isRole } from '~/domain/access/permissions'
import type { SlackEnv } from '~/domain/chat/slack-installation.server'
import { slackClient } from '~/domain/chat/slack-client.server'

/** A match older than this is checked with Slack again. */
export const MATCH_MAX_AGE_MS = 24 * 60 * 60 * 1000

export type SlackActor = Pick<Member, 'user' | 'role' | 'organization'>

interface MemberRow {
  user_id: string
  email: string
  display_name: string
  role: string
  organization_id: string
  organization_name: string
  organization_slug: string
  organization_timezone: string
}

const MEMBER_COLUMNS = `u.id as user_id, u.email, u.display_name, m.role,
  o.id as organization_id, o.name as organization_name, o.slug as organization_slug,
  o.timezone as organization_timezone`

/**
 * The active member a Slack user acts as: matched by the e-mail address Slack verified
 * (`users.info` → `profile.email`) against members' account addresses, case-insensitively.
 * Matches are kept in `slack_member` for a day. Null when the Slack user has no address, is a
 * bot or deactivated, or no active member has that address: they can do nothing here.
 */
export async function memberForSlackUser(
  orm: MikroORM,
  env: SlackEnv,
  input: { organizationId: string; botToken: string; slackUserId: string; now: Date },
): Promise<{ member: SlackActor | null; slackName: string | null }> {
  const { organizationId, slackUserId, now } = input
  const cached = await readScope(orm, { organizationId }, (em) =>
    em.execute<MemberRow[]>(
      `select ${MEMBER_COLUMNS}
         from slack_member s
         join membership m on m.organization_id = s.organization_id and m.user_id = s.user_id
         join app_user u on u.id = m.user_id
         join organization o on o.id = m.organization_id
        where s.organization_id = ? and s.slack_user_id = ? and s.looked_up_at > ?
          and m.active and lower(u.email) = lower(s.email)`,
      [organizationId, slackUserId, new Date(now.getTime() - MATCH_MAX_AGE_MS)],
    ),
  )
  if (cached[0]) return { member: toActor(cached[0]), slackName: null }

  const answer = await slackClient(input.botToken, env).users.info({ user: slackUserId })
  const user = answer.user
  const slackName = user?.real_name || user?.profile?.display_name || user?.name || null
  const email = user?.profile?.email
  if (!user || user.deleted || user.is_bot || !email) return { member: null, slackName }

  const found = await inScope(orm, { organizationId }, async (em) => {
    const [row] = await em.execute<MemberRow[]>(
      `select ${MEMBER_COLUMNS}
         from membership m
         join app_user u on u.id = m.user_id
         join organization o on o.id = m.organization_id
        where m.organization_id = ? and m.active and lower(u.email) = lower(?)
        limit 1`,
      [organizationId, email],
    )
    if (!row) {
      await em.execute('delete from slack_member where organization_id = ? and slack_user_id = ?', [
        organizationId,
        slackUserId,
      ])
      return null
    }
    await em.execute(
      `insert into slack_member (organization_id, slack_user_id, user_id, email, looked_up_at)
       values (?, ?, ?, ?, ?)
       on conflict (organization_id, slack_user_id) do update set
         user_id = excluded.user_id, email = excluded.email, looked_up_at = excluded.looked_up_at`,
      [organizationId, slackUserId, row.user_id, row.email, now],
    )
    return row
  })
  return { member: found ? toActor(found) : null, slackName }
}

function toActor(row: MemberRow): SlackActor | null {
  if (!isRole(row.role)) return null
  return {
    user: { id: row.user_id, email: row.email, displayName: row.display_name },
    role: row.role,
    organization: {
      id: row.organization_id,
      name: row.organization_name,
      slug: row.organization_slug,
      timezone: row.organization_timezone,
    },
  }
}

/** The member with this user id, if still active in the organization (the worker's declare). */
export async function activeMember(
  orm: MikroORM,
  organizationId: string,
  userId: string,
): Promise<SlackActor | null> {
  const [row] = await readScope(orm, { organizationId }, (em) =>
    em.execute<MemberRow[]>(
      `select ${MEMBER_COLUMNS}
         from membership m
         join app_user u on u.id = m.user_id
         join organization o on o.id = m.organization_id
        where m.organization_id = ? and m.user_id = ? and m.active`,
      [organizationId, userId],
    ),
  )
  return row ? toActor(row) : null
}
