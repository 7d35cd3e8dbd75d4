import type { MikroORM } from '@mikro-orm/postgresql'
import type { PgBoss } from '~/queue/send.server'
import type { WebEnv } from './env.server'
import type { Logger } from './logger.server'
import type { ObjectStore } from './storage/storage.server'

/** What every loader and action receives from server.ts besides the request. */
export interface AppLoadContext {
  env: WebEnv
  orm: MikroORM
  boss: PgBoss
  /** Evidence files and reports. */
  store: ObjectStore
  logger: Logger
  /** The per-request Content-Security-Policy nonce for inline scripts. */
  nonce: string
  requestId: string
  /** The client's address (from X-Forwarded-For only when TRUST_PROXY is set). */
  clientIp: string
  /**
   * Set while the request renders a document (not a `.data` request): page parts made on the
   * server as markup are handed to the document's render here instead of travelling in the page's
   * data as well (see document-markup.server.ts). Absent: every part travels in the data.
   */
  documentMarkup?: Map<string, string>
}
