/**
 * One bench server under Bun: `bun-server.ts <variant>`, the `Bun.serve` counterpart of server.ts
 * (same IPC contract: `ready` with port and key, then `stats` with `process.cpuUsage()` and the
 * requests that reached the handler). Every variant is a plain fetch handler, no router: `bare`
 * answers JSON, `noop` wraps it in a pass-through, `keyward` in `withApiKey` from
 * `@keyward/core/http`, `alternative` in a hand-written `Map` lookup of the bearer token.
 */
import { withApiKey } from '@keyward/core/http'
import type { Variant } from '../lib/apps.js'
import { benchKeyward } from '../lib/bench-keyward.js'
import { answerRequests } from '../lib/children.js'

type Handler = (request: Request, server: unknown) => Response | Promise<Response>
declare const Bun: {
  serve(options: { hostname: string; port: number; fetch: Handler }): { port: number }
}

const variant = process.argv[2] as Variant
// Usage counting is on by default (`--usage off`); `--rules on` gives the key every access rule.
const { keyward, key } = await benchKeyward()
const users = new Map([[key, { id: 'user-0' }]])
const BODY = { hello: 'world' }
let handled = 0

const bare: Handler = () => {
  handled++
  return Response.json(BODY)
}
const HANDLERS: Record<Variant, Handler> = {
  bare,
  noop: (request, server) => bare(request, server),
  // Bun's server is the second argument: withApiKey takes the client address from its requestIP().
  keyward: withApiKey(keyward, bare),
  alternative: (request, server) => {
    const header = request.headers.get('authorization') ?? ''
    const user = header.startsWith('Bearer ') ? users.get(header.slice(7)) : undefined
    return user ? bare(request, server) : Response.json({ error: 'unauthorized' }, { status: 401 })
  },
}
const handler = HANDLERS[variant]
if (handler === undefined) throw new Error(`bun-server: unknown variant "${variant}"`)

const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: handler })
answerRequests((message) => {
  if (message.type === 'exit') setImmediate(() => process.exit(0))
  if (message.type !== 'stats') return undefined
  const cpu = process.cpuUsage()
  return { type: 'stats', cpuMicros: cpu.user + cpu.system, handled }
})
process.send!({ type: 'ready', port: server.port, key })
