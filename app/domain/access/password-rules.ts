/** Password length bounds, shared by the forms (browser validation) and the server check. */
export const PASSWORD_MIN = 12
export const PASSWORD_MAX = 128
