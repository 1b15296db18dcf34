/**
 * The runtime side of the conformance bridge. The test process keeps the suite's Keyward instance
 * (its store, clock and events), hooks and probe; the runtime runs the HTTP server, the apps and all
 * of core's HTTP code. Keyward calls and hooks cross back to the test process (`rpc`); the pure
 * parts of an instance (`pattern`, `redact`, `looksLikeKey`) are computed here from its prefix.
 *
 * Requests reach an app through one port: the test process's proxy names the app in `x-keyward-app`.
 */
import { createKeyward, MemoryKeyStore, type Keyward } from '@keyward/core'
import { codec } from '../codec.js'
import { authApp, managementApp, secretScanningApp, type App, type ProxyTrust } from './apps.js'

/** Sends one message to the test process and resolves with its answer (a codec text each way). */
export type Rpc = (body: string) => Promise<string>

interface AppSpec {
  kind: 'auth' | 'management' | 'secret-scanning'
  keyward: { $keyward: number; prefix: string } | Record<string, unknown>
  options: never
  probe?: number
  proxy?: ProxyTrust
}

const LOCAL = new Set(['pattern', 'redact', 'looksLikeKey'])

/**
 * An `Rpc` over the child's standard streams (`RPC <n> <text>` lines out, `<n> <text>` lines in):
 * no HTTP between the processes, so nothing of the bridge passes for a response of the app.
 */
export function lineRpc(write: (line: string) => void, input: AsyncIterable<Uint8Array>): Rpc {
  const waiting = new Map<number, (text: string) => void>()
  let next = 1
  void (async () => {
    const decoder = new TextDecoder()
    let buffered = ''
    for await (const chunk of input) {
      buffered += decoder.decode(chunk, { stream: true })
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const line = buffered.slice(0, end)
        buffered = buffered.slice(end + 1)
        const space = line.indexOf(' ')
        const id = Number(line.slice(0, space))
        waiting.get(id)?.(line.slice(space + 1))
        waiting.delete(id)
      }
    }
  })()
  return (body) =>
    new Promise((resolve) => {
      const id = next++
      waiting.set(id, resolve)
      write(`RPC ${id} ${body}\n`)
    })
}

/** The fetch handler of the runtime server, sending its calls back through `rpc`. */
export function bridge(rpc: Rpc): (request: Request, ...rest: unknown[]) => Promise<Response> {
  const pending: Promise<unknown>[] = []
  const wire = codec(
    () => {
      throw new TypeError('a function cannot travel from the runtime')
    },
    (id) =>
      (...args: unknown[]) => {
        // Awaited by core or not (`onError` is not), flushed before the response goes out.
        const answer = call({ fn: id, args })
        pending.push(answer.catch(() => {}))
        return answer
      },
  )
  async function call(message: unknown): Promise<unknown> {
    const answer = wire.decode(await rpc(wire.encode(message)))
    if (answer !== null && typeof answer === 'object' && '$rpcError' in answer) throw answer.$rpcError
    return answer
  }
  /**
   * Fire and forget, but flushed before the response that caused it goes out (inside workerd a
   * request's I/O must end with it: another request cannot wait on it).
   */
  const notify = (message: unknown) => void pending.push(call(message).catch(() => {}))
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const)
    console[level] = (...args: unknown[]) => notify({ log: level, line: args.map(String).join(' ') })

  function remoteKeyward(id: number, prefix: string): Keyward<string> {
    const shape = createKeyward({ prefix, store: new MemoryKeyStore(), pepper: false, lastUsed: false, cache: false })
    return new Proxy({} as Keyward<string>, {
      get(_target, name) {
        if (typeof name !== 'string' || name === 'then') return undefined
        if (LOCAL.has(name)) {
          const value = shape[name as 'pattern' | 'redact' | 'looksLikeKey']
          return typeof value === 'function' ? value.bind(shape) : value
        }
        // `owners` is an object of methods: `owners.get` and `owners.set` cross as dotted names.
        if (name === 'owners')
          return {
            get: (...args: unknown[]) => call({ keyward: id, method: 'owners.get', args }),
            set: (...args: unknown[]) => call({ keyward: id, method: 'owners.set', args }),
          }
        return (...args: unknown[]) => call({ keyward: id, method: name, args })
      },
    })
  }

  const apps = new Map<string, App>()
  let nextId = 1
  function build(spec: AppSpec): App {
    const keyward = (
      typeof spec.keyward.$keyward === 'number' ? remoteKeyward(spec.keyward.$keyward, spec.keyward.prefix as string) : spec.keyward
    ) as Keyward<string>
    if (spec.kind === 'auth') return authApp(keyward, spec.options, (route) => notify({ probe: spec.probe, route }), spec.proxy ?? 'none')
    if (spec.kind === 'management') return managementApp(keyward, spec.options)
    return secretScanningApp(keyward, spec.options)
  }

  return async function serve(request, ...rest) {
    const control = request.headers.get('x-keyward-control')
    if (control === 'create') {
      try {
        const id = String(nextId++)
        apps.set(id, build(wire.decode(await request.text()) as AppSpec))
        await Promise.all(pending.splice(0))
        return Response.json({ id })
      } catch (error) {
        await Promise.all(pending.splice(0))
        return Response.json({ error: { name: (error as Error).name, message: (error as Error).message } })
      }
    }
    const app = apps.get(request.headers.get('x-keyward-app') ?? '')
    if (app === undefined) return new Response('no such app', { status: 404 })
    const response = await app(request, ...rest)
    await Promise.all(pending.splice(0))
    return response
  }
}
