import * as z from './zod'

/**
 * A field people never see or fill in (visually hidden, skipped by keyboard and screen readers);
 * form-filling bots do. A submission with it set is refused without telling the bot why.
 */
export const HONEYPOT_FIELD = 'website'
export const honeypotSchema = z.string().max(0, 'This field must be left empty').optional()
