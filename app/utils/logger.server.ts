import { pino, type Logger, type LoggerOptions } from 'pino'
import { errorSerializer } from './loggable-error.server'
import { currentRequestId } from './request-id.server'

/**
 * Structured JSON logs in production; human-readable lines in development. Anything that could
 * carry a secret (cookies, authorization headers, passwords, tokens) is redacted at the source.
 * A line written while a request's work runs (in the web process, or in the worker for a job that
 * request caused) names the request as `reqId` (see request-id.server.ts).
 */
export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.apiKey',
  'password',
  'token',
  'secret',
]

export function createLogger(options: {
  level: string
  pretty: boolean
  name: string
  destination?: pino.DestinationStream
}): Logger {
  const config: LoggerOptions = {
    name: options.name,
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: requestIdMixin,
    // Database errors are logged without the values their statements carried.
    serializers: { err: errorSerializer },
  }
  if (options.destination) return pino(config, options.destination)
  if (options.pretty) {
    return pino({
      ...config,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname' },
      },
    })
  }
  return pino(config)
}

function requestIdMixin(): { reqId?: string } {
  const reqId = currentRequestId()
  return reqId ? { reqId } : {}
}

export type { Logger }
