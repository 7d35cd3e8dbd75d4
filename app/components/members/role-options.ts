import { ROLE_LABELS, ROLES } from '~/domain/access/permissions'

/** Every role as a choice, most powerful first. */
export const roleOptions = ROLES.map((role) => ({ value: role, label: ROLE_LABELS[role] }))
