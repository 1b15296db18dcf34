/**
 * autocannon load on one loopback server, cycling over a set of keys, with every response (or
 * error) handed to `onSample` with the time it was sent, so callers can split counts by phase.
 */
import autocannon from 'autocannon'

export interface Sample {
  /** When the request was sent, `performance.now()` of this process. */
  sentAt: number
  /** HTTP status, or 0 for a transport error or a timeout. */
  status: number
  /** Latency in ms (for a timeout: the timeout). */
  ms: number
}

export interface LoadOptions {
  port: number
  /** Each connection cycles through one request per key. */
  keys: string[]
  connections: number
  /** Hard bound on the run; `stop()` ends it earlier. */
  seconds: number
  /** A request with no answer after this many seconds counts as an error. */
  timeoutSeconds?: number
  onSample?: (sample: Sample) => void
}

export interface Load {
  done: Promise<autocannon.Result>
  stop(): void
}

export function startLoad(options: LoadOptions): Load {
  const timeoutSeconds = options.timeoutSeconds ?? 10
  let finish!: (result: autocannon.Result) => void
  let fail!: (error: unknown) => void
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve
    fail = reject
  })
  const instance = autocannon(
    {
      url: `http://127.0.0.1:${options.port}`,
      connections: options.connections,
      duration: options.seconds,
      timeout: timeoutSeconds,
      requests: options.keys.map((key) => ({ method: 'GET', path: '/json', headers: { authorization: `Bearer ${key}` } })),
    },
    (error, result) => (error ? fail(error) : finish(result)),
  )
  const onSample = options.onSample
  if (onSample) {
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      onSample({ sentAt: performance.now() - responseTime, status: statusCode, ms: responseTime })
    })
    instance.on('reqError', (error) => {
      const timedOut = error instanceof Error && error.message === 'request timed out'
      const ms = timedOut ? timeoutSeconds * 1000 : 0
      onSample({ sentAt: performance.now() - ms, status: 0, ms })
    })
  }
  return { done, stop: () => instance.stop() }
}
