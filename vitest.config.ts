import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const root = path.dirname(fileURLToPath(import.meta.url))

export default defineConfig({
  resolve: { alias: { '~': path.join(root, 'app') } },
  esbuild: { jsx: 'automatic' },
  test: {
    // Every test fails on a console.error it did not announce (tests/support/console-guard.ts).
    setupFiles: ['tests/support/console-guard.ts'],
    restoreMocks: true,
    // Stopping the test PostgreSQL (global teardown) waits for a clean shutdown.
    teardownTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          include: ['app/**/*.test.{ts,tsx}', 'db/**/*.test.ts', 'jobs/**/*.test.ts'],
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
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
