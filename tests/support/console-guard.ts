import { format } from 'node:util'
import { afterAll, afterEach, beforeEach } from 'vitest'

/**
 * A console.error nobody expected is a bug (React warnings, swallowed exceptions logged and
 * forgotten), so it fails the test that caused it. A test that means to provoke one says so with
 * `expectConsoleError()` and then asserts on what was logged.
 */

const original = console.error.bind(console)
let recorded: string[] = []
let expected = false

console.error = (...args: unknown[]) => {
  recorded.push(format(...args))
  if (!expected) original(...args)
}

/** Allows console.error in the current test; returns the messages logged so far and later. */
export function expectConsoleError(): { readonly messages: readonly string[] } {
  expected = true
  return {
    get messages() {
      return recorded
    },
  }
}

function takeUnexpected() {
  const messages = recorded
  const wasExpected = expected
  recorded = []
  expected = false
  return wasExpected ? [] : messages
}

function fail(where: string, messages: string[]) {
  throw new Error(
    `Unexpected console.error ${where} (call expectConsoleError() if it is intended):\n` +
      messages.map((m) => `  - ${m}`).join('\n'),
  )
}

beforeEach(() => {
  // Anything logged outside a test (module load, beforeAll) fails the first test after it.
  const before = takeUnexpected()
  if (before.length) fail('before this test (in a hook or at import)', before)
})

afterEach(() => {
  const messages = takeUnexpected()
  if (messages.length) fail('during this test', messages)
})

afterAll(() => {
  const messages = takeUnexpected()
  if (messages.length) fail('in an afterAll hook', messages)
})
