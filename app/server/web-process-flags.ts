/**
 * The Node flags of a production web process. `npm start` (package.json) and the Docker image's
 * command say them as well, since neither can import this file; `web-process-flags.test.ts` fails
 * when either differs from this list. The benches, the end-to-end server and the fault drills
 * spawn `node` with these flags before `build/server.js`, and with WEB_CONCURRENCY > 1 the web
 * processes the supervisor forks inherit them.
 *
 * --max-semi-space-size=64: a young generation of 64 MB per semi-space instead of V8's 16 MB.
 * A page request allocates 1–2 MB; with 16 MB V8 scavenged every 9–10 list requests and spent
 * about 0.9 ms of each request's CPU on it. See docs/decisions/047-web-process-heap.md.
 */
export const WEB_PROCESS_FLAGS: readonly string[] = ['--max-semi-space-size=64']

/** `node` arguments that start the production web server from the repository's root. */
export function webServerArgs(extraFlags: readonly string[] = []): string[] {
  return [...WEB_PROCESS_FLAGS, ...extraFlags, 'build/server.js']
}
