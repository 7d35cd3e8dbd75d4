import path from 'node:path'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * The integration files that take longest from start to finish, longest first, as measured in a
 * fresh-clone CI run (seconds, including their own start-up): worker-process ~57, object-store-s3
 * ~20 (a Ceph cluster starts before its first test), fuzz ~16, embedded-postgres ~14,
 * web-processes ~13, incident-audit ~8, replay.property ~7.
 *
 * Vitest starts the longest files first only when its results cache knows their durations. A
 * fresh clone has no cache, so it goes by file size, which put object-store-s3 last in CI: one
 * worker started Ceph and ran it while the other had nothing left to do. Started first, these
 * files run beside the short ones, and the run ends with short files on both workers.
 */
const LONGEST_FIRST = [
  'tests/integration/worker-process.test.ts',
  'tests/integration/object-store-s3.test.ts',
  'tests/integration/fuzz.test.ts',
  'tests/integration/embedded-postgres.test.ts',
  'tests/integration/web-processes.test.ts',
  'tests/integration/incident-audit.test.ts',
  'tests/integration/replay.property.test.ts',
]

/**
 * Vitest's own order (projects one after another; within one, what its cache knows), with the
 * files above moved to the front of their project in the order listed.
 */
export default class LongFilesFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]) {
    const sorted = await super.sort(files)
    const projects = [...new Set(sorted.map((spec) => spec.project.name))]
    const rank = (spec: TestSpecification) => {
      const file = path.relative(this.ctx.config.root, spec.moduleId).split(path.sep).join('/')
      const index = LONGEST_FIRST.indexOf(file)
      return index === -1 ? LONGEST_FIRST.length : index
    }
    return sorted
      .map((spec, position) => ({ spec, position }))
      .sort(
        (a, b) =>
          projects.indexOf(a.spec.project.name) - projects.indexOf(b.spec.project.name) ||
          rank(a.spec) - rank(b.spec) ||
          a.position - b.position,
      )
      .map(({ spec }) => spec)
  }
}
