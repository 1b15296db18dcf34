/**
 * A Worker that holds D1KeyStore instances on its `DB` binding and runs their methods for the test
 * process: the store's code and its SQL run inside workerd, on miniflare's D1.
 */
import type { KeyStore } from '@keyward/core/store'
import { codec } from '@keyward/runtime-tests/codec'
import { D1KeyStore, type D1DatabaseLike } from '../../src/index.js'

const stores = new Map<number, KeyStore>()
let next = 1
const wire = codec(
  () => {
    throw new TypeError('no functions cross')
  },
  () => {
    throw new TypeError('no functions cross')
  },
)

export default {
  async fetch(request: Request, env: { DB: D1DatabaseLike }): Promise<Response> {
    const message = wire.decode(await request.text()) as {
      open?: { table: string; migrate?: boolean }
      exec?: string[]
      store?: number
      method?: string
      args?: unknown[]
    }
    try {
      if (message.exec) {
        await env.DB.batch(message.exec.map((sql) => env.DB.prepare(sql)))
        return new Response(wire.encode(null))
      }
      if (message.open) {
        const id = next++
        stores.set(id, new D1KeyStore({ connection: env.DB, table: message.open.table, migrate: message.open.migrate ?? true }))
        return new Response(wire.encode(id))
      }
      const store = stores.get(message.store!) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
      return new Response(wire.encode(await store[message.method!]!(...message.args!)))
    } catch (error) {
      // A LimitExceededError's owner and cap cross beside it (the codec carries an error's code and field only).
      const { ownerId, maxKeys } = error as { ownerId?: unknown; maxKeys?: unknown }
      return new Response(wire.encode({ $rpcError: error, ...(maxKeys !== undefined && { limit: { ownerId, maxKeys } }) }))
    }
  },
}
