import { redirect } from '@remix-run/node'
import type { AppLoadContext } from '@remix-run/node'
import { actAs, readScope } from '../../../db/tenant'
import { loginUrlFor } from '~/utils/redirect'
import { can, type Permission, type Role } from './permissions'
import { clearSessionCookie, readSessionToken, sessionProblem } from './session.server'
import { tokenHash } from './tokens.server'
import { now as clockNow } from '~/utils/clock'

export interface OrganizationSummary {
  id: string
  name: string
  slug: string
  timezone: string
}

export interface Viewer {
  sessionId: string
  user: { id: string; email: string; displayName: string }
  /** The organization this session acts in, when the user has an active membership. */
  organization: OrganizationSummary | null
  role: Role | null
  memberships: Array<{ organization: OrganizationSummary; role: Role }>
}

export interface Member extends Viewer {
  organization: OrganizationSummary
  role: Role
}

/** `last_seen_at` is written at most this often, so reads stay reads. */
const TOUCH_INTERVAL_MS = 60_000

const viewerCache = new WeakMap<object, Promise<Viewer | null>>()

/**
 * Who is making this request, read fresh from the database every time (memoised per request),
 * so a revoked session, a deactivated membership or a changed role counts on the next request.
 */
export function getViewer(request: Request, context: AppLoadContext): Promise<Viewer | null> {
  let cached = viewerCache.get(context)
  if (!cached) {
    cached = loadViewer(request, context)
    viewerCache.set(context, cached)
  }
  return cached
}

interface ViewerRow {
  user_id: string
  active_organization_id: string | null
  last_seen_at: Date
  expires_at: Date
  revoked_at: Date | null
  email: string
  display_name: string
  membership_id: string | null
  membership_last_seen_at: Date | null
  role: Role | null
  organization_id: string | null
  organization_name: string | null
  organization_slug: string | null
  organization_timezone: string | null
}

async function loadViewer(request: Request, context: AppLoadContext): Promise<Viewer | null> {
  const token = await readSessionToken(request, context.env)
  if (!token) return null
  const id = tokenHash(token)
  const now = clockNow()
  // One statement reads the session, its user and the user's active memberships (see migration
  // 0011); the once-a-minute touch, when due, is one more on the same connection.
  return readScope(context.orm, {}, async (em) => {
    const rows = await em.execute<ViewerRow[]>(`select * from incidentflow_viewer(?)`, [id])
    const first = rows[0]
    if (!first) return null
    const session = {
      revokedAt: first.revoked_at,
      expiresAt: new Date(first.expires_at),
      lastSeenAt: new Date(first.last_seen_at),
    }
    if (sessionProblem(session, context.env, now)) return null

    const memberships = rows.flatMap((row) =>
      row.organization_id && row.membership_id && row.role
        ? [
            {
              membershipId: row.membership_id,
              lastSeenAt: row.membership_last_seen_at
                ? new Date(row.membership_last_seen_at)
                : null,
              organization: summary({
                id: row.organization_id,
                name: row.organization_name ?? '',
                slug: row.organization_slug ?? '',
                timezone: row.organization_timezone ?? 'UTC',
              }),
              role: row.role,
            },
          ]
        : [],
    )
    const active =
      memberships.find((m) => m.organization.id === first.active_organization_id) ??
      memberships[0] ??
      null
    // The active organization went away (deactivated, removed): fall back to another one.
    const repairActive = (active?.organization.id ?? null) !== first.active_organization_id
    const touchBefore = new Date(now.getTime() - TOUCH_INTERVAL_MS)
    const membershipDue = active !== null && (!active.lastSeenAt || active.lastSeenAt < touchBefore)
    if (repairActive || session.lastSeenAt < touchBefore || membershipDue) {
      await em.execute(`select incidentflow_touch_session(?, ?, ?, ?, ?, ?)`, [
        id,
        now,
        touchBefore,
        active?.organization.id ?? null,
        repairActive,
        membershipDue ? active.membershipId : null,
      ])
    }
    // The rest of the request sees the incidents this person may see (decision 037).
    actAs(first.user_id)
    return {
      sessionId: id,
      user: { id: first.user_id, email: first.email, displayName: first.display_name },
      organization: active?.organization ?? null,
      role: active?.role ?? null,
      memberships: memberships.map(({ organization, role }) => ({ organization, role })),
    }
  })
}

function summary(organization: {
  id: string
  name: string
  slug: string
  timezone: string
}): OrganizationSummary {
  return {
    id: organization.id,
    name: organization.name,
    slug: organization.slug,
    timezone: organization.timezone,
  }
}

/** The signed-in viewer, or a redirect to the login page that comes back here afterwards. */
export async function requireViewer(request: Request, context: AppLoadContext): Promise<Viewer> {
  const viewer = await getViewer(request, context)
  if (!viewer) {
    const hadCookie = await readSessionToken(request, context.env)
    throw redirect(
      loginUrlFor(request),
      hadCookie ? { headers: { 'Set-Cookie': await clearSessionCookie(context.env) } } : undefined,
    )
  }
  return viewer
}

/**
 * "Who is this, in which organization, may they do this": the one guard every tenant page and
 * action calls. The organization id it returns scopes every later query.
 */
export async function requireMember(
  request: Request,
  context: AppLoadContext,
  permission?: Permission,
): Promise<Member> {
  const viewer = await requireViewer(request, context)
  if (!viewer.organization || !viewer.role) {
    throw new Response(
      'You are not an active member of any organization. Ask an admin for an invitation.',
      {
        status: 403,
      },
    )
  }
  if (permission && !can(viewer.role, permission)) {
    throw new Response('Your role does not allow this.', { status: 403 })
  }
  return viewer as Member
}

/** The visitor must be signed out (sign-up and log-in pages). */
export async function requireAnonymous(request: Request, context: AppLoadContext) {
  if (await getViewer(request, context)) throw redirect('/')
}
