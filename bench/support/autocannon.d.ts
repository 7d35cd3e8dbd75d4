/** The part of autocannon 9's programmatic API the benches use (the package ships no types). */
declare module 'autocannon' {
  export interface Options {
    url: string
    connections?: number
    /** Seconds. */
    duration?: number
    /** Seconds before a request counts as a timeout. */
    timeout?: number
    headers?: Record<string, string>
    method?: string
  }

  export interface Histogram {
    average: number
    mean: number
    stddev: number
    min: number
    max: number
    p50: number
    p90: number
    p99: number
  }

  export interface Result {
    url: string
    connections: number
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
    totalCompletedRequests: number
    statusCodeStats: Record<string, { count: number }>
    /** Requests per second, sampled each second. */
    requests: Histogram & { sent: number }
    /** Milliseconds. */
    latency: Histogram
  }

  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
