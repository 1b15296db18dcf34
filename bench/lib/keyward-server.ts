/**
 * One Keyward-protected server in its own process, over a real store:
 * `keyward-server.ts <framework> <postgres|redis> <url> <namespace> <cache: on|off> [storeTimeoutMs]`.
 * Serves `GET /json` behind `apiKeyAuth` (bench/lib/apps.ts). Reports `{ type: 'ready', port }`, then
 * answers `stats` with its memory (after a full GC when started with --expose-gc and asked to),
 * CPU time and the requests that reached the handler. Closes Keyward and the store on SIGTERM.
 */
import { createKeyward } from '@keyward/core'
import { buildApp, type Framework } from './apps.js'
import { answerRequests, exitWithParent } from './children.js'
import { openStore, PEPPER, PREFIX, type StoreKind } from './stores.js'

const [framework, kind, url, namespace, cache, timeout] = process.argv.slice(2) as [
  Framework,
  StoreKind,
  string,
  string,
  'on' | 'off',
  string | undefined,
]
const store = openStore(kind, url, namespace, timeout === undefined ? undefined : Number(timeout))
const keyward = createKeyward({ prefix: PREFIX, store, pepper: PEPPER, ...(cache === 'off' && { cache: false as const }) })
const app = await buildApp(framework, 'keyward', keyward, [])
const port = await app.listen()

exitWithParent(async () => {
  await keyward.close().catch(() => undefined)
  await store.close().catch(() => undefined)
})

const gc = (globalThis as { gc?: () => void }).gc
answerRequests((message) => {
  if (message.type !== 'stats') return undefined
  if (message.gc === true && gc) gc()
  const memory = process.memoryUsage()
  const cpu = process.cpuUsage()
  return { type: 'stats', rss: memory.rss, heapUsed: memory.heapUsed, cpuMicros: cpu.user + cpu.system, handled: app.handled() }
})
process.send!({ type: 'ready', port })
