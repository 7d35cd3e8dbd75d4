/**
 * The time as the application sees it. Domain functions take `now` as an argument; the edges
 * (loaders, job handlers) ask this module. Under NODE_ENV=test the clock can be moved forward so
 * an end-to-end test can see a deadline pass without waiting for it.
 */
let offsetMs = 0

export function now(): Date {
  return new Date(Date.now() + offsetMs)
}

export function clockOffsetMs() {
  return offsetMs
}

export function advanceClock(ms: number) {
  // Read through `env`: the Remix compiler replaces `process.env.NODE_ENV` with "production" in
  // the server bundle, and the production build also runs under NODE_ENV=test.
  const { env } = process
  if (env.NODE_ENV !== 'test') throw new Error('The clock can only be moved in tests')
  offsetMs += ms
}

export function resetClock() {
  offsetMs = 0
}
