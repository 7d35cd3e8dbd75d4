import type { MikroORM } from '@mikro-orm/postgresql'
import { runDraft, type Attempt, type DraftOutcome } from '~/domain/postmortem/drafts.server'
import { llmSettings } from '~/domain/postmortem/draft-llm.server'
import type { Logger } from '~/utils/logger.server'
import type { WorkerEnv } from '~/utils/env.server'
import type { JobPayload } from '~/queue/queues'

export interface PostmortemDraftDeps {
  orm: MikroORM
  logger: Logger
  env: Pick<WorkerEnv, 'LLM_BASE_URL' | 'LLM_API_KEY' | 'LLM_MODEL' | 'LLM_TIMEOUT_MS'>
  fetch?: typeof fetch
  now?: () => Date
}

/**
 * The `postmortem-draft` job: makes the requested draft from the template or the configured
 * model (see `runDraft`). The model settings come from the worker's own environment, so the
 * API key lives only where the calls are made. Called without `attempt` (as the worker's
 * `workEach` does), a failure is final at once and the draft page shows its reason.
 */
export function makePostmortemDraft(
  deps: PostmortemDraftDeps,
  payload: JobPayload<'postmortem-draft'>,
  attempt?: Attempt,
): Promise<DraftOutcome> {
  return runDraft(
    {
      orm: deps.orm,
      logger: deps.logger,
      llm: llmSettings(deps.env),
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    },
    payload,
    attempt,
  )
}
