import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import LongFilesFirstSequencer from './tests/support/long-files-first'

const root = path.dirname(fileURLToPath(import.meta.url))

export default defineConfig({
  resolve: { alias: { '~': path.join(root, 'app') } },
  esbuild: { jsx: 'automatic' },
  test: {
    // Every test fails on a console.error it did not announce (tests/support/console-guard.ts),
    // and on a query sent to a connection still busy with another (tests/support/pg-queue-guard.ts).
    setupFiles: ['tests/support/console-guard.ts', 'tests/support/pg-queue-guard.ts'],
    restoreMocks: true,
    // Stopping the test PostgreSQL (global teardown) waits for a clean shutdown.
    teardownTimeout: 30_000,
    // The longest integration files start first, also in a fresh clone without Vitest's cache.
    sequence: { sequencer: LongFilesFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          include: [
            'app/**/*.test.{ts,tsx}',
            'db/**/*.test.ts',
            'jobs/**/*.test.ts',
            'tests/unit/**/*.test.ts',
          ],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          environment: 'node',
          include: ['tests/integration/**/*.test.ts'],
          // One PostgreSQL for the run, with a migrated template database; each test file
          // clones its own database from it (tests/support/database.ts).
          globalSetup: ['tests/support/global-setup.ts'],
          // Two files at a time, even on two cores: a file spends much of its time importing
          // modules and waiting on PostgreSQL or child processes, and its database is its own.
          // One at a time, the 60 files took 573 s in a CI run on a busy machine, 215 s of it
          // between files; two at a time on a quiet one, 192–205 s.
          maxWorkers: 2,
          // Files share their two worker processes, so that node_modules load once per worker
          // rather than once per file (Vitest's "import" time: 80 s of the 232 s of a CI run);
          // fresh-modules.ts makes the project's own modules load afresh for every file.
          isolate: false,
          setupFiles: ['tests/support/fresh-modules.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'drills',
          environment: 'node',
          include: ['tests/drills/**/*.test.ts'],
          // The production bundles (built when stale) and nginx; the run's PostgreSQL with its
          // migrated template, from which the drills clone their databases. The PostgreSQL outage
          // drill starts a server of its own.
          globalSetup: ['tests/support/drills-setup.ts', 'tests/support/global-setup.ts'],
          // Each drill runs two web processes, two workers and nginx: one file at a time.
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
})
