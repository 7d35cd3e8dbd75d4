import cluster from 'node:cluster'
import { randomUUID } from 'node:crypto'
import client from 'prom-client'
import type { Exposition } from '~/utils/metrics.server'

/**
 * /metrics with WEB_CONCURRENCY > 1. Each web process counts its own requests and pool, but a
 * scrape reaches one process at random (the cluster hands connections out round-robin), so
 * whichever web process is asked passes the question to the supervising process, which collects
 * every web process's figures (prom-client's AggregatorRegistry) and answers with their sum — or,
 * for the job queue gauges, which every process reads from the same database, their maximum. One
 * scrape therefore always means the whole `npm start`, however many processes it runs.
 */

const ASK = 'incidentflow:metrics?'
const ANSWER = 'incidentflow:metrics!'
const TIMEOUT_MS = 10_000

interface Answer {
  type: typeof ANSWER
  id: string
  body?: string
  contentType?: string
  error?: string
}

/** In a web process of the cluster: offers `registry` to the supervisor's aggregation. */
export function joinClusterMetrics(registry: client.Registry) {
  client.AggregatorRegistry.setRegistries([registry])
  // Constructing one installs prom-client's listener that answers the supervisor's requests.
  new client.AggregatorRegistry()
}

/** In a web process of the cluster: the whole cluster's metrics, from the supervisor. */
export function askSupervisorForMetrics(): Promise<Exposition> {
  return new Promise((resolve, reject) => {
    const id = randomUUID()
    const done = () => {
      clearTimeout(timer)
      process.off('message', onMessage)
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error('the supervising process did not answer with metrics'))
    }, TIMEOUT_MS)
    const onMessage = (message: unknown) => {
      const answer = message as Partial<Answer> | null
      if (answer?.type !== ANSWER || answer.id !== id) return
      done()
      if (answer.error || answer.body === undefined) reject(new Error(answer.error ?? 'no metrics'))
      else resolve({ body: answer.body, contentType: answer.contentType ?? 'text/plain' })
    }
    process.on('message', onMessage)
    process.send?.({ type: ASK, id })
  })
}

/**
 * In the supervising process: answers the web processes' requests for the cluster's metrics, and
 * returns the same collection for a metrics listener of its own (METRICS_PORT).
 */
export function serveClusterMetrics(): () => Promise<Exposition> {
  const aggregator = new client.AggregatorRegistry()
  const collect = async (): Promise<Exposition> => ({
    body: await aggregator.clusterMetrics(),
    contentType: aggregator.contentType,
  })
  cluster.on('message', (worker, message: unknown) => {
    const ask = message as { type?: string; id?: string } | null
    if (ask?.type !== ASK || typeof ask.id !== 'string') return
    const id = ask.id
    const reply = (answer: Answer) => {
      if (worker.isConnected()) worker.send(answer)
    }
    collect().then(
      ({ body, contentType }) => reply({ type: ANSWER, id, body, contentType }),
      (error: unknown) => reply({ type: ANSWER, id, error: String(error) }),
    )
  })
  return collect
}
