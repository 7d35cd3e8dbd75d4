import type { EntityManager } from '@mikro-orm/postgresql'
import { callSlack, isSlackError, type SlackApi } from './slack-api'

/** A match older than this is looked up again. */
export const MEMBER_MATCH_MAX_AGE_MS = 24 * 60 * 60 * 1000

type InOrganization = <T>(work: (em: EntityManager) => Promise<T>) => Promise<T>

/**
 * The Slack user ids of the given IncidentFlow users who are active members of the organization
 * and have a Slack account with their e-mail address. Matches come from `slack_member` while
 * fresh, otherwise from `users.lookupByEmail`, and are stored for the next time. A member without
 * a Slack account (`users_not_found`) is left out, not an error.
 */
export async function slackUserIdsFor(
  inOrganization: InOrganization,
  api: SlackApi,
  organizationId: string,
  userIds: readonly string[],
  now: Date,
): Promise<string[]> {
  const wanted = [...new Set(userIds)]
  if (wanted.length === 0) return []
  const known = await inOrganization((em) =>
    em.execute<
      Array<{ user_id: string; email: string; slack_user_id: string | null; fresh: boolean }>
    >(
      `select u.id as user_id, u.email, s.slack_user_id,
              coalesce(s.looked_up_at > ?::timestamptz, false) as fresh
         from membership m
         join app_user u on u.id = m.user_id
         left join lateral (
           select slack_user_id, looked_up_at from slack_member s
            where s.organization_id = m.organization_id and s.user_id = u.id
              and lower(s.email) = lower(u.email)
            order by looked_up_at desc limit 1) s on true
        where m.organization_id = ? and m.active
          and m.user_id = any(array(select jsonb_array_elements_text(?::jsonb)::uuid))`,
      [new Date(now.getTime() - MEMBER_MATCH_MAX_AGE_MS), organizationId, JSON.stringify(wanted)],
    ),
  )
  // In the order asked (the commander first), whatever order the rows came in.
  known.sort((a, b) => wanted.indexOf(a.user_id) - wanted.indexOf(b.user_id))
  const ids: string[] = []
  const found: Array<{ userId: string; email: string; slackUserId: string }> = []
  for (const person of known) {
    if (person.slack_user_id && person.fresh) {
      ids.push(person.slack_user_id)
      continue
    }
    try {
      const answer = await callSlack<{ user?: { id?: string } }>(api, 'users.lookupByEmail', {
        email: person.email,
      })
      if (answer.user?.id) {
        ids.push(answer.user.id)
        found.push({ userId: person.user_id, email: person.email, slackUserId: answer.user.id })
      }
    } catch (failure) {
      if (!isSlackError(failure, 'users_not_found')) throw failure
    }
  }
  if (found.length > 0) {
    await inOrganization((em) =>
      em.execute(
        `insert into slack_member (organization_id, slack_user_id, user_id, email, looked_up_at)
         select ?, v->>'slackUserId', (v->>'userId')::uuid, v->>'email', ?::timestamptz
           from jsonb_array_elements(?::jsonb) as v
         on conflict (organization_id, slack_user_id)
           do update set user_id = excluded.user_id, email = excluded.email,
                         looked_up_at = excluded.looked_up_at`,
        [organizationId, now, JSON.stringify(found)],
      ),
    )
  }
  return [...new Set(ids)]
}
