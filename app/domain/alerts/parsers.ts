import type { IntegrationKind } from '../../../db/entities/integration'
import { parseAlertmanager } from './alertmanager'
import { parseGeneric } from './generic'
import type { ParseResult } from './normalized'
import { parsePagerDuty } from './pagerduty'

/** The parser for each alert source: the web side validates with it, the worker reads with it. */
export const PARSERS: Record<IntegrationKind, (body: unknown) => ParseResult> = {
  alertmanager: parseAlertmanager,
  pagerduty: parsePagerDuty,
  generic: parseGeneric,
}
