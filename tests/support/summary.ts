/**
 * Prints one closing line per test level and a total, from the JSON reports the runners wrote
 * during `npm test`, e.g. `unit: 46 passed, 0 failed`. A level without a report counts as not run.
 */
import { readFileSync } from 'node:fs'

interface Counts {
  passed: number
  failed: number
  skipped: number
}

function vitest(file: string): Counts | null {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8')) as {
      numPassedTests: number
      numFailedTests: number
      numPendingTests: number
      numTodoTests: number
    }
    return {
      passed: report.numPassedTests,
      failed: report.numFailedTests,
      skipped: report.numPendingTests + report.numTodoTests,
    }
  } catch {
    return null
  }
}

function playwright(file: string): Counts | null {
  try {
    const { stats } = JSON.parse(readFileSync(file, 'utf8')) as {
      stats: { expected: number; unexpected: number; flaky: number; skipped: number }
    }
    return {
      passed: stats.expected + stats.flaky,
      failed: stats.unexpected,
      skipped: stats.skipped,
    }
  } catch {
    return null
  }
}

const levels: Array<[string, Counts | null]> = [
  ['unit', vitest('.test-reports/unit.json')],
  ['integration', vitest('.test-reports/integration.json')],
  ['drills', vitest('.test-reports/drills.json')],
  ['e2e', playwright('.test-reports/e2e.json')],
]
// The integration tests' second server (PostgreSQL 15, docs/decisions/030) runs in CI only.
const secondServer = vitest('.test-reports/integration-pg15.json')
if (secondServer || process.env.CI === 'true')
  levels.splice(2, 0, ['integration on PostgreSQL 15', secondServer])

const total: Counts = { passed: 0, failed: 0, skipped: 0 }
let missing = false
for (const [name, counts] of levels) {
  if (!counts) {
    console.log(`${name}: not run`)
    missing = true
    continue
  }
  console.log(
    `${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
  )
  total.passed += counts.passed
  total.failed += counts.failed
  total.skipped += counts.skipped
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
if (missing || total.failed > 0 || total.passed === 0) process.exitCode = 1
