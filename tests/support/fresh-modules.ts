import { vi } from 'vitest'

/**
 * A setup file of the integration project, whose files share their worker processes
 * (`isolate: false` in vitest.config.ts) so that the dependencies in node_modules load once per
 * worker instead of once per file. It makes every module of the project itself (app, db, jobs,
 * tests/support) load afresh for each file, so that no module-level state (a cache, a counter, a
 * connection pool) outlives the file that made it.
 */
vi.resetModules()
