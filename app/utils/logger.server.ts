import { pino, type Logger, type LoggerOptions } from 'pino'

/**
 * Structured JSON logs in production; human-readable lines in development. Anything that could
 * carry a secret (cookies, authorization headers, passwords, tokens) is redacted at the source.
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

export type { Logger }
