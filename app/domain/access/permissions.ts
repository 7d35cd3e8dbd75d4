/**
 * Who may do what, as data. Every action checks this table on the server; pages use the same
 * table to hide what a role cannot do.
 */

export const ROLES = ['admin', 'manager', 'engineer'] as const
export type Role = (typeof ROLES)[number]

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Admin',
  manager: 'Manager',
  engineer: 'Engineer',
}

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  admin: 'Everything, including workflow settings and member management',
  manager: 'Assigns ownership, force-escalates, sees analytics and reports, plus what engineers do',
  engineer:
    'Declares incidents; comments, changes status and uploads evidence on incidents assigned to them',
}

export const PERMISSIONS = [
  'incident.view',
  'incident.declare',
  /** Comment, change status, upload evidence — on incidents the actor commands or is assigned to. */
  'incident.work.assigned',
  /** The same on any incident of the organization. */
  'incident.work.any',
  'incident.assign',
  'incident.escalate',
  'analytics.view',
  'report.create',
  'export.create',
  'settings.manage',
  'members.view',
  'members.manage',
  'audit.view',
] as const
export type Permission = (typeof PERMISSIONS)[number]

const ENGINEER: readonly Permission[] = [
  'incident.view',
  'incident.declare',
  'incident.work.assigned',
  'members.view',
]

const MANAGER: readonly Permission[] = [
  ...ENGINEER,
  'incident.assign',
  'incident.escalate',
  'analytics.view',
  'report.create',
  'export.create',
]

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  engineer: new Set(ENGINEER),
  manager: new Set(MANAGER),
  admin: new Set(PERMISSIONS),
}

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission)
}

/**
 * Work on one incident (comment, status, evidence): anyone with `incident.work.any`, or an
 * engineer who commands or is assigned to it.
 */
export function canWorkOnIncident(
  role: Role,
  involvement: { isCommander: boolean; isAssignee: boolean },
): boolean {
  if (can(role, 'incident.work.any')) return true
  return can(role, 'incident.work.assigned') && (involvement.isCommander || involvement.isAssignee)
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value)
}
