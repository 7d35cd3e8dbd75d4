import type { Permission, Role } from '~/domain/access/permissions'

/**
 * The product's definition of the roles, written out by hand (not derived from the code under
 * test):
 *
 * - Admin: everything, including workflow settings, member management and the audit log.
 * - Manager: assigns ownership, force-escalates, sees analytics, creates reports and exports,
 *   plus everything an engineer does.
 * - Engineer: views and declares incidents, works on the incidents they command or are assigned
 *   to (not on any incident), sees the member list.
 *
 * Both the unit test of `can()` and the integration test of `requireMember()` read this one
 * table, and both check it names every permission there is.
 */
export const EXPECTED_PERMISSIONS: Record<Permission, Record<Role, boolean>> = {
  'incident.view': { admin: true, manager: true, engineer: true },
  'incident.declare': { admin: true, manager: true, engineer: true },
  'incident.work.assigned': { admin: true, manager: true, engineer: true },
  'incident.work.any': { admin: true, manager: false, engineer: false },
  'incident.assign': { admin: true, manager: true, engineer: false },
  'incident.escalate': { admin: true, manager: true, engineer: false },
  'analytics.view': { admin: true, manager: true, engineer: false },
  'report.create': { admin: true, manager: true, engineer: false },
  'export.create': { admin: true, manager: true, engineer: false },
  'settings.manage': { admin: true, manager: false, engineer: false },
  'members.view': { admin: true, manager: true, engineer: true },
  'members.manage': { admin: true, manager: false, engineer: false },
  'audit.view': { admin: true, manager: false, engineer: false },
}

export const ALL_ROLES: readonly Role[] = ['admin', 'manager', 'engineer']

/** Every (role, permission, allowed) triple of the table, for `it.each`. */
export function permissionCases() {
  return ALL_ROLES.flatMap((role) =>
    (Object.keys(EXPECTED_PERMISSIONS) as Permission[]).map((permission) => ({
      role,
      permission,
      allowed: EXPECTED_PERMISSIONS[permission][role],
    })),
  )
}
