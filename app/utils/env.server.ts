import { existsSync } from 'node:fs'
import { isIP } from 'node:net'
import { availableParallelism } from 'node:os'
import * as z from 'zod'
import { parseDuration } from '~/domain/sla/policy'
import { parseSecretsKey } from '~/utils/secret-box.server'

/**
 * Configuration is parsed once per process. Each process (web, worker, CLI) picks the schema it
 * needs; all of them share the base so a variable means the same thing everywhere.
 */

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional()

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.url().optional())
  .optional()

/** A TCP port, or nothing when unset or empty. */
const optionalPort = optionalString.pipe(
  z
    .string()
    .regex(/^\d{1,5}$/, 'must be a port number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(65535))
    .optional(),
)

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

/** Names Express's `trust proxy` understands for groups of addresses. */
const PROXY_ADDRESS_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

function isProxyAddress(entry: string) {
  if (PROXY_ADDRESS_NAMES.has(entry)) return true
  const [address, bits, ...rest] = entry.split('/')
  const family = isIP(address ?? '')
  if (!family || rest.length > 0) return false
  if (bits === undefined) return true
  const prefix = Number(bits)
  return /^\d{1,3}$/.test(bits) && prefix <= (family === 4 ? 32 : 128)
}

/**
 * Which proxies in front of the app are believed about the client's address (`X-Forwarded-For`),
 * as Express's `trust proxy`: `false` none (the header is ignored); `true` the one proxy
 * directly in front (its view of the client, the last address it added); a number, that many
 * proxies; or a comma-separated list of proxy addresses, subnets and the names `loopback`,
 * `linklocal`, `uniquelocal`. Never "trust everything": the first address of the header is
 * whatever the client wrote (decision 026).
 */
const trustProxy = z
  .string()
  .trim()
  .transform((text, ctx): false | number | string[] => {
    const word = text.toLowerCase()
    if (['', 'false', '0', 'no'].includes(word)) return false
    if (['true', 'yes'].includes(word)) return 1
    if (/^\d+$/.test(word)) {
      const hops = Number(word)
      if (hops <= 10) return hops
    }
    const entries = word.split(',').map((entry) => entry.trim())
    if (entries.every(isProxyAddress)) return entries
    ctx.addIssue({
      code: 'custom',
      message:
        'must be false, true, a number of proxies (1–10), or a comma-separated list of proxy addresses or subnets',
    })
    return z.NEVER
  })

/** A whole number from `min` to `max`, or `word` (`off`, `auto`), which `meaning` turns into a value. */
function numberOr<V>(word: string, meaning: () => V, min: number, max: number) {
  return z
    .string()
    .trim()
    .transform((text, ctx): number | V => {
      if (text === word) return meaning()
      const value = Number(text)
      if (text === '' || !Number.isInteger(value) || value < min || value > max) {
        ctx.addIssue({
          code: 'custom',
          message: `must be ${word} or a whole number from ${min} to ${max}`,
        })
        return z.NEVER
      }
      return value
    })
}

export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h'

const DEV_SESSION_SECRET = 'incidentflow-development-secret-not-for-production'

export const baseEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  DATA_DIR: z.string().default('.data'),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1024).max(65535).default(5433),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  /** How long a request waits for a free pooled connection before it is answered 503. */
  DATABASE_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  APP_URL: z.url().default('http://localhost:3000'),
  EMAIL_FROM: z.string().min(3).default('IncidentFlow <incidents@localhost>'),
  RESEND_API_KEY: optionalString,
  RESEND_BASE_URL: optionalUrl,
  STORAGE_DRIVER: z.enum(['fs', 's3']).default('fs'),
  /** Largest evidence file accepted, in bytes (default 25 MB). */
  EVIDENCE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(5 * 1024 ** 3)
    .default(25 * 1024 * 1024),
  /** Evidence per incident, all current files together, in bytes (default 500 MB). */
  EVIDENCE_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 ** 3)
    .default(500 * 1024 * 1024),
  S3_ENDPOINT: optionalUrl,
  S3_BUCKET: optionalString,
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_FORCE_PATH_STYLE: booleanFlag.default(true),
  WEBHOOK_ALLOWED_HOSTS: optionalString,
  LLM_BASE_URL: optionalUrl,
  LLM_API_KEY: optionalString,
  LLM_MODEL: optionalString,
  /**
   * Bearer token a scraper must send for /metrics (web and worker). Unset: the web's public port
   * answers /metrics with 404, and only the metrics listeners on loopback answer.
   */
  METRICS_TOKEN: optionalString.pipe(
    z.string().min(16, 'must be at least 16 characters').optional(),
  ),
  /** Slack's Web API base URL (a test double stands in for it); always ends with a slash. */
  SLACK_API_URL: z
    .url()
    .default('https://slack.com/api/')
    .transform((url) => (url.endsWith('/') ? url : `${url}/`)),
  /** The Slack app's OAuth credentials; both set → "Add to Slack" on /admin/integrations/slack. */
  SLACK_CLIENT_ID: optionalString,
  SLACK_CLIENT_SECRET: optionalString,
  /** Verifies requests from workspaces installed through OAuth (the app's signing secret). */
  SLACK_SIGNING_SECRET: optionalString,
  /**
   * Seals stored secrets (Slack tokens, Teams webhook URLs): 32 bytes as 64 hex characters or
   * base64. Unset: derived from SESSION_SECRET (a warning in production).
   */
  SECRETS_ENCRYPTION_KEY: optionalString.pipe(
    z
      .string()
      .refine((text) => parseSecretsKey(text) !== null, {
        message: 'must be 32 bytes, as 64 hex characters or base64',
      })
      .optional(),
  ),
})

export const webEnvSchema = baseEnvSchema
  .extend({
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    HOST: z.string().default('0.0.0.0'),
    SESSION_SECRET: optionalString,
    TRUST_PROXY: trustProxy.default(false),
    /** Serves /dev/outbox in production mode too; only for end-to-end test runs. */
    DEV_OUTBOX: booleanFlag.default(false),
    SESSION_IDLE_MINUTES: z.coerce
      .number()
      .int()
      .min(5)
      .max(60 * 24 * 30)
      .default(60 * 12),
    SESSION_MAX_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    SUPABASE_URL: optionalUrl,
    SUPABASE_ANON_KEY: optionalString,
    SUPABASE_JWT_SECRET: optionalString,
    /** Largest inbound alert body accepted at /hooks/…, in bytes (default 256 KiB). */
    ALERT_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(10 * 1024 * 1024)
      .default(256 * 1024),
    /**
     * gzip level of pages and JSON answers, 1 (fastest) to 9 (smallest), or `off` when a proxy in
     * front compresses. On large pages level 1 takes about half the CPU of the library's default
     * (6) for 10–20 % more bytes (decision 021).
     */
    COMPRESSION: numberOr('off', () => 'off' as const, 1, 9).prefault('1'),
    /**
     * A listener of its own for GET /metrics (unset: none). With WEB_CONCURRENCY > 1 the
     * supervising process serves it, for the whole cluster.
     */
    METRICS_PORT: optionalPort,
    METRICS_HOST: z.string().default('127.0.0.1'),
    /** Web processes `npm start` runs as a Node cluster; `auto` is one per CPU core. */
    WEB_CONCURRENCY: numberOr('auto', availableParallelism, 1, 64).prefault('1'),
    /**
     * Organizations whose reference data (services, types, members, …) each web process keeps in
     * memory, least recently used dropped first; 0 turns the cache off.
     */
    REFERENCE_CACHE_ORGANIZATIONS: z.coerce.number().int().min(0).max(100_000).default(1000),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && (!env.SESSION_SECRET || env.SESSION_SECRET.length < 32)) {
      ctx.addIssue({
        code: 'custom',
        path: ['SESSION_SECRET'],
        message: 'is required in production and must be at least 32 characters',
      })
    }
    if (env.SUPABASE_URL && !env.SUPABASE_ANON_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['SUPABASE_ANON_KEY'],
        message: 'is required when SUPABASE_URL is set',
      })
    }
    requireS3Settings(env, ctx)
  })
  .transform((env) => ({ ...env, SESSION_SECRET: env.SESSION_SECRET ?? DEV_SESSION_SECRET }))

/**
 * "5s,5m,30m,2h" → [5, 300, 1800, 7200]: the delay before each retry of a webhook delivery. A
 * bare number is minutes, as everywhere durations are typed.
 */
const retrySchedule = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const entries = (text || DEFAULT_WEBHOOK_RETRY_SCHEDULE).split(',').map((entry) => entry.trim())
    const seconds = entries.map((entry) => parseDuration(entry))
    const unreadable = entries.filter((_, i) => typeof seconds[i] !== 'number')
    if (unreadable.length || entries.length > 20) {
      ctx.addIssue({
        code: 'custom',
        message: unreadable.length
          ? `must be comma-separated durations such as 5s,5m,2h (cannot read "${unreadable.join('", "')}")`
          : 'must have at most 20 entries',
      })
      return z.NEVER
    }
    return seconds as number[]
  })

export const workerEnvSchema = baseEnvSchema
  .extend({
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
    /** How often pg-boss maintenance runs: expires jobs of a worker that died, among others. */
    WORKER_MAINTENANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
    /**
     * Firings of one alert within this many seconds of its last timeline entry are counted into
     * one entry ("fired 1,204 times") rather than appended each; 0 appends every firing.
     */
    ALERT_REPEAT_WINDOW_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
    /** The worker's GET /metrics listener (unset: none); each worker process needs its own port. */
    WORKER_METRICS_PORT: optionalPort,
    WORKER_METRICS_HOST: z.string().default('127.0.0.1'),
    /** How often the worker looks for events to fan out when it found none last time. */
    EVENT_RELAY_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    /** How long one webhook delivery attempt may take, connection to last byte. */
    WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(120).default(10),
    /** Delays before each retry of a failed webhook delivery; about a day in all by default. */
    WEBHOOK_RETRY_SCHEDULE: retrySchedule.prefault(DEFAULT_WEBHOOK_RETRY_SCHEDULE),
    /**
     * How long one postmortem-draft request to the model may take. Kept well inside the
     * `postmortem-draft` queue's expiry (180 s), after which pg-boss would hand the job out again.
     */
    LLM_TIMEOUT_MS: z.coerce.number().int().min(1000).max(150_000).default(60_000),
    /** Only to derive the secrets key when SECRETS_ENCRYPTION_KEY is unset (see the web's). */
    SESSION_SECRET: optionalString,
  })
  .superRefine(requireS3Settings)
  .transform((env) => ({
    ...env,
    SESSION_SECRET:
      env.SESSION_SECRET ?? (env.NODE_ENV === 'production' ? undefined : DEV_SESSION_SECRET),
  }))

function requireS3Settings(env: z.infer<typeof baseEnvSchema>, ctx: z.RefinementCtx) {
  if (env.STORAGE_DRIVER !== 's3') return
  for (const key of ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const) {
    if (!env[key])
      ctx.addIssue({ code: 'custom', path: [key], message: 'is required when STORAGE_DRIVER=s3' })
  }
}

export type BaseEnv = z.infer<typeof baseEnvSchema>
export type WebEnv = z.infer<typeof webEnvSchema>
export type WorkerEnv = z.infer<typeof workerEnvSchema>

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'EnvError'
  }
}

/** Parses `source` with `schema`, throwing an EnvError that names every bad variable. */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  source: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(source)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)'
    const value = source[name]
    const shown = value === undefined ? 'not set' : `got "${redact(name, value)}"`
    return `${name}: ${issue.message} (${shown})`
  })
  throw new EnvError(problems)
}

const SECRET_NAME = /SECRET|KEY|PASSWORD|TOKEN|DATABASE_URL/

function redact(name: string, value: string) {
  return SECRET_NAME.test(name) ? '***' : value.slice(0, 80)
}

/**
 * Parses the environment or ends the process with a readable list of problems; used at the top
 * of every entry point so a bad deployment fails fast and says why.
 */
export function loadEnvOrExit<S extends z.ZodType>(schema: S): z.infer<S> {
  // A local .env fills in what the real environment leaves unset; tests never read it.
  if (process.env.NODE_ENV !== 'test' && existsSync('.env')) process.loadEnvFile('.env')
  try {
    return parseEnv(schema)
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(
        `${error.message}\nSee .env.example for every variable and its default.\n`,
      )
      process.exit(1)
    }
    throw error
  }
}
