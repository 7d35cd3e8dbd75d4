/**
 * Zod for code that also runs in the browser: import `* as z from '~/utils/zod'`
 * there instead of from 'zod'.
 *
 * Zod compiles fast object parsers with `new Function`, after probing whether eval is allowed; it
 * probes when the first object schema is built, i.e. while a route module loads. The
 * Content-Security-Policy forbids eval, so the probe was reported as a CSP violation on every page
 * with a validated form. `jitless` skips the probe; it must be set before any schema is built,
 * which this module guarantees for everything that imports `z` from it.
 *
 * `z.string()` from here refuses text PostgreSQL cannot store (NUL, unpaired surrogates) with a
 * field error, so every form field parsed through a schema gets that check without each route
 * repeating it.
 */
import { config, string as zodString } from 'zod'
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from './storable-text'

config({ jitless: true })

export * from 'zod'

export function string(params?: Parameters<typeof zodString>[0]) {
  return zodString(params).refine(isStorableText, { error: UNSTORABLE_TEXT_MESSAGE })
}
