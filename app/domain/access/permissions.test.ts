import { describe, expect, it } from 'vitest'
import {
  EXPECTED_PERMISSIONS,
  permissionCases,
  ALL_ROLES,
} from '../../../tests/support/permission-matrix'
import {
  PERMISSIONS,
  ROLE_DESCRIPTIONS,
  ROLE_LABELS,
  ROLES,
  can,
  canWorkOnIncident,
  isRole,
} from './permissions'

describe('the role × permission table', () => {
  it('has a decision for every permission and every role, and nothing else', () => {
    expect(Object.keys(EXPECTED_PERMISSIONS).sort()).toEqual([...PERMISSIONS].sort())
    expect([...ROLES].sort()).toEqual([...ALL_ROLES].sort())
  })

  it.each(permissionCases())('$role may $permission: $allowed', ({ role, permission, allowed }) => {
    expect(can(role, permission)).toBe(allowed)
  })

  it('gives a manager everything an engineer may do', () => {
    for (const permission of PERMISSIONS) {
      if (can('engineer', permission)) expect(can('manager', permission), permission).toBe(true)
    }
  })

  it('describes and labels every role', () => {
    for (const role of ROLES) {
      expect(ROLE_LABELS[role]).toMatch(/\w/)
      expect(ROLE_DESCRIPTIONS[role]).toMatch(/\w/)
    }
  })
})

describe('canWorkOnIncident', () => {
  const involvements = [
    { label: 'commander', involvement: { isCommander: true, isAssignee: false } },
    { label: 'assignee', involvement: { isCommander: false, isAssignee: true } },
    { label: 'commander and assignee', involvement: { isCommander: true, isAssignee: true } },
    { label: 'not involved', involvement: { isCommander: false, isAssignee: false } },
  ]
  // Only incident.work.any (admins) reaches incidents one is not involved in.
  const expected: Record<string, Record<(typeof ALL_ROLES)[number], boolean>> = {
    commander: { admin: true, manager: true, engineer: true },
    assignee: { admin: true, manager: true, engineer: true },
    'commander and assignee': { admin: true, manager: true, engineer: true },
    'not involved': { admin: true, manager: false, engineer: false },
  }

  it.each(
    ALL_ROLES.flatMap((role) =>
      involvements.map((i) => ({ role, ...i, allowed: expected[i.label]![role] })),
    ),
  )('$role who is $label may work on the incident: $allowed', ({ role, involvement, allowed }) => {
    expect(canWorkOnIncident(role, involvement)).toBe(allowed)
  })
})

describe('isRole', () => {
  it('accepts the three roles and nothing else', () => {
    for (const role of ROLES) expect(isRole(role)).toBe(true)
    for (const value of ['Admin', 'owner', '', null, undefined, 1, {}]) {
      expect(isRole(value)).toBe(false)
    }
  })
})
