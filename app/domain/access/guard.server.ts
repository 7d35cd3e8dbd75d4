import { redirect } from '@remix-run/node'
import type { AppLoadContext } from '@remix-run/node'
import { MembershipSchema, SessionSchema, UserSchema } from '../../../db/entities/access'
import { OrganizationSchema } from '../../../db/entities/organization'
import { inScope } from '../../../db/tenant'
import { loginUrlFor } from '../../utils/redirect'
import { can, type Permission, type Role } from './permissions'
import { clearSessionCookie, readSessionToken, sessionProblem } from './session.server'
import { tokenHash } from './tokens.server'

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

async function loadViewer(request: Request, context: AppLoadContext): Promise<Viewer | null> {
  const token = await readSessionToken(request, context.env)
  if (!token) return null
  const id = tokenHash(token)
  const now = new Date()
  // The session decides the user; only then are that user's own memberships readable.
  const session = await inScope(context.orm, {}, async (em) => {
    const row = await em.findOne(SessionSchema, { id })
    if (!row || sessionProblem(row, context.env, now)) return null
    if (now.getTime() - row.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) row.lastSeenAt = now
    return { userId: row.userId, activeOrganizationId: row.activeOrganizationId }
  })
  if (!session) return null

  return inScope(context.orm, { userId: session.userId }, async (em) => {
    const user = await em.findOne(UserSchema, { id: session.userId })
    if (!user) return null
    const memberships = await em.find(MembershipSchema, { userId: user.id, active: true })
    const organizations = memberships.length
      ? await em.find(
          OrganizationSchema,
          { id: { $in: memberships.map((m) => m.organizationId) } },
          { orderBy: { name: 'asc' } },
        )
      : []
    const list = organizations.map((organization) => ({
      organization: summary(organization),
      role: memberships.find((m) => m.organizationId === organization.id)!.role,
    }))
    const active =
      list.find((m) => m.organization.id === session.activeOrganizationId) ?? list[0] ?? null
    if ((active?.organization.id ?? null) !== session.activeOrganizationId) {
      // The active organization went away (deactivated, removed): fall back to another one.
      await em.nativeUpdate(
        SessionSchema,
        { id },
        { activeOrganizationId: active?.organization.id ?? null },
      )
    }
    if (active) {
      const membership = memberships.find((m) => m.organizationId === active.organization.id)
      if (
        membership &&
        (!membership.lastSeenAt ||
          now.getTime() - membership.lastSeenAt.getTime() > TOUCH_INTERVAL_MS)
      ) {
        await inScope(context.orm, { organizationId: active.organization.id }, (tenant) =>
          tenant.nativeUpdate(
            MembershipSchema,
            { id: membership.id, organizationId: active.organization.id },
            { lastSeenAt: now },
          ),
        )
      }
    }
    return {
      sessionId: id,
      user: { id: user.id, email: user.email, displayName: user.displayName },
      organization: active?.organization ?? null,
      role: active?.role ?? null,
      memberships: list,
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
