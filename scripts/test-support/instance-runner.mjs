/**
 * One Keyward instance in its own process, driven over stdin/stdout (one JSON message a line), for
 * the multi-instance tests of the store packages. A package fixture imports its store and calls
 * `serve`. Requests: { n, op, args }; replies: { n, result } or { n, error }. The first line out is
 * { ready: true }. Messages never carry anything but keys made for the test.
 */
import { createInterface } from 'node:readline'

const PEPPER = 'multi-instance-test-pepper-0123456789abcdef'

/** Hide `subscribe`, so the instance can only rely on its cache TTL. */
function withoutSubscribe(store) {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'subscribe') return undefined
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

export async function serve({ createKeyward, store, subscribe = true, cache }) {
  const keyward = createKeyward({
    prefix: 'multi_test',
    store: subscribe ? store : withoutSubscribe(store),
    pepper: PEPPER,
    throttle: false,
    lastUsed: false,
    ...(cache !== undefined && { cache }),
  })
  // Wait until the store's change feed is connected (stores that expose `listening`).
  if (subscribe && 'listening' in store) {
    const deadline = Date.now() + 5000
    while (!store.listening && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  }
  const ops = {
    create: async () => {
      const { key, info } = await keyward.create({ name: 'multi-instance', scopes: ['messages:send'] })
      return { key, id: info.id }
    },
    verify: async (key) => {
      const result = await keyward.verify(key)
      return result.ok ? { ok: true } : { ok: false, code: result.code }
    },
    revoke: async (id) => (await keyward.revoke(id)).status,
    disable: async (id) => (await keyward.disable(id)).status,
    enable: async (id) => (await keyward.enable(id)).status,
    rotate: async (id) => {
      const { key, info } = await keyward.rotate(id, { gracePeriodMs: 0 })
      return { key, id: info.id }
    },
    close: async () => {
      await keyward.close()
      await store.close?.()
      setImmediate(() => process.exit(0))
      return true
    },
  }
  const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`)
  createInterface({ input: process.stdin }).on('line', async (line) => {
    const { n, op, args = [] } = JSON.parse(line)
    try {
      send({ n, result: await ops[op](...args) })
    } catch (error) {
      send({ n, error: { code: error?.code ?? 'error', message: String(error?.message ?? error) } })
    }
  })
  send({ ready: true })
}
