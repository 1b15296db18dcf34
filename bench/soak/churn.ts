/**
 * The churn process of the soak: `churn.ts <postgres|redis> <url> <namespace> <port,port> <maxSeconds>`.
 * In a loop, through its own Keyward (cache off) on the shared store, it creates a key, waits until
 * both servers accept it, disables and enables it, rotates it with a short grace period and revokes
 * the successor, each time polling both servers with the key until both give the expected answer
 * and recording how long that took. Also creates a few keys per cycle that each server verifies
 * once, so the servers' caches see new records all the time. Answers `measure` (clear the figures:
 * warm-up is over) and `stop` (finish the cycle in progress and report).
 */
import { createKeyward } from '@keyward/core'
import { answerRequests, exitWithParent } from '../lib/children.js'
import { openStore, PEPPER, PREFIX, type StoreKind } from '../lib/stores.js'

const [kind, url, namespace, portList, maxSeconds] = process.argv.slice(2) as [StoreKind, string, string, string, string]
const ports = portList.split(',').map(Number)
const store = openStore(kind, url, namespace)
const keyward = createKeyward({ prefix: PREFIX, store, pepper: PEPPER, cache: false, lastUsed: false, throttle: false })
const POLL_EVERY_MS = 10
const POLL_BOUND_MS = 5_000
const GRACE_MS = 300
const EXTRA_KEYS_PER_CYCLE = 5
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface ChurnFigures {
  cycles: number
  created: number
  rotated: number
  disabled: number
  enabled: number
  revoked: number
  /** ms from the start of `revoke()` until both servers answered 401 with the key. */
  revokeMs: number[]
  /** ms the `revoke()` call itself took (the store write). */
  revokeCallMs: number[]
  disableMs: number[]
  enableMs: number[]
  /** ms from the end of a rotation's grace period until both servers refused the old key. */
  graceEndMs: number[]
  /** ms from create() returning until both servers accepted the new key. */
  newKeyMs: number[]
  /** Answers that broke the contract (for example the old key refused during its grace period). */
  violations: string[]
  /** Management calls that failed. */
  errors: string[]
}

const empty = (): ChurnFigures => ({
  cycles: 0,
  created: 0,
  rotated: 0,
  disabled: 0,
  enabled: 0,
  revoked: 0,
  revokeMs: [],
  revokeCallMs: [],
  disableMs: [],
  enableMs: [],
  graceEndMs: [],
  newKeyMs: [],
  violations: [],
  errors: [],
})
let figures = empty()
let stopping = false
const deadline = performance.now() + Number(maxSeconds) * 1000

async function status(port: number, key: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/json`, {
    headers: { authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(POLL_BOUND_MS),
  })
  await response.arrayBuffer()
  return response.status
}

/**
 * Poll every server with `key` until each answers `want`; ms from `since` until the last of them
 * did, or Infinity when one did not within POLL_BOUND_MS.
 */
async function untilAll(key: string, want: number, since: number): Promise<number> {
  const times = await Promise.all(
    ports.map(async (port) => {
      const giveUp = performance.now() + POLL_BOUND_MS
      while (performance.now() < giveUp) {
        const got = await status(port, key).catch(() => -1)
        if (got === want) return performance.now() - since
        await sleep(POLL_EVERY_MS)
      }
      return Number.POSITIVE_INFINITY
    }),
  )
  return Math.max(...times)
}

async function cycle(n: number): Promise<void> {
  const { key, info } = await keyward.create({ name: `churn ${n}`, scopes: ['messages:send'] })
  figures.created++
  figures.newKeyMs.push(await untilAll(key, 200, performance.now()))

  // Keys that each server sees once: the caches keep taking new records.
  for (let i = 0; i < EXTRA_KEYS_PER_CYCLE; i++) {
    const extra = await keyward.create({ name: `churn ${n}.${i}` })
    figures.created++
    await Promise.all(ports.map((port) => status(port, extra.key).catch(() => -1)))
  }

  let t0 = performance.now()
  await keyward.disable(info.id)
  figures.disabled++
  figures.disableMs.push(await untilAll(key, 401, t0))

  t0 = performance.now()
  await keyward.enable(info.id)
  figures.enabled++
  figures.enableMs.push(await untilAll(key, 200, t0))

  const rotated = await keyward.rotate(info.id, { gracePeriodMs: GRACE_MS })
  figures.rotated++
  const graceEnd = rotated.previous.expiresAt!.getTime()
  figures.newKeyMs.push(await untilAll(rotated.key, 200, performance.now()))
  // Still inside the grace period (when the check itself was quick enough to tell): the old key works.
  const oldAnswers = await Promise.all(ports.map((port) => status(port, key).catch(() => -1)))
  // Every answer came back before the grace period ended, so each must be a 200.
  if (Date.now() < graceEnd)
    oldAnswers.forEach((got, i) => {
      if (got !== 200) figures.violations.push(`old key refused (${got}) during its grace period by server ${i + 1}`)
    })
  await sleep(Math.max(0, graceEnd - Date.now()))
  const graceEndPerf = performance.now() - Math.max(0, Date.now() - graceEnd)
  figures.graceEndMs.push(await untilAll(key, 401, graceEndPerf))

  t0 = performance.now()
  await keyward.revoke(rotated.info.id)
  figures.revokeCallMs.push(performance.now() - t0)
  figures.revoked++
  figures.revokeMs.push(await untilAll(rotated.key, 401, t0))
  figures.cycles++
}

const loop = (async () => {
  for (let n = 0; !stopping && performance.now() < deadline; n++) {
    try {
      await cycle(n)
    } catch (error) {
      figures.errors.push(error instanceof Error ? error.message : String(error))
      if (figures.errors.length > 50) break
      await sleep(100)
    }
  }
})()

answerRequests(async (message) => {
  if (message.type === 'measure') {
    figures = empty()
    return { type: 'measuring' }
  }
  if (message.type === 'stop') {
    stopping = true
    await loop
    return { type: 'figures', figures }
  }
  return undefined
})

exitWithParent(async () => {
  stopping = true
  await keyward.close().catch(() => undefined)
  await store.close().catch(() => undefined)
})
process.send!({ type: 'ready' })
