/**
 * A separate process that owns an embedded PostgreSQL, for tests about a second owner and about
 * an owner that dies without stopping its server. Usage:
 *   node --import tsx tests/support/hold-embedded-postgres.ts <dataDir> <port>
 * Prints one JSON line `{"ready":true,"pid":…,"port":…}` once the server accepts connections,
 * stops it on SIGTERM, and leaves it running if killed with SIGKILL.
 */
import { startEmbeddedPostgres } from '../../db/embedded-postgres'

const [dataDir, port] = process.argv.slice(2)
if (!dataDir || !port) {
  process.stderr.write('usage: hold-embedded-postgres.ts <dataDir> <port>\n')
  process.exit(2)
}

const running = await startEmbeddedPostgres({
  dataDir,
  port: Number(port),
  ephemeral: true,
  ownerLabel: 'test holder',
})
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid, port: running.port })}\n`)
process.on('SIGTERM', () => {
  void running.stop().then(() => process.exit(0))
})
// Stay alive until signalled.
setInterval(() => {}, 60_000)
