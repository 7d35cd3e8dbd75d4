/** Words and limits of personal API tokens, shared by the settings page and the service (browser-safe). */

/** How long a new token lives, in days; `never` means until it is revoked. */
export const TOKEN_EXPIRY_CHOICES = ['30', '90', '365', 'never'] as const
export type TokenExpiry = (typeof TOKEN_EXPIRY_CHOICES)[number]
export const TOKEN_EXPIRY_LABELS: Record<TokenExpiry, string> = {
  '30': '30 days',
  '90': '90 days',
  '365': '1 year',
  never: 'Never',
}
export const DEFAULT_TOKEN_EXPIRY: TokenExpiry = '90'

export const TOKEN_NAME_MAX = 120
