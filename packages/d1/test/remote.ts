import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DuplicateKeyIdError, InvalidInputError, KeywardError, LimitExceededError, type KeyStore } from '@keyward/core/store'
import { bundle, codec } from '@keyward/runtime-tests'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll } from 'vitest'

// D1KeyStore runs inside workerd (miniflare, from npm), on miniflare's D1; this process calls its
// methods through the Worker (test/worker/store-worker.ts). Each test file that imports this gets its own Worker.
const dir = mkdtempSync(join(tmpdir(), 'keyward-d1-'))
let mf: Miniflare
const wire = codec(
  () => {
    throw new TypeError('no functions cross')
  },
  () => {
    throw new TypeError('no functions cross')
  },
)

beforeAll(async () => {
  const script = join(dir, 'worker.mjs')
  await bundle(fileURLToPath(new URL('./worker/store-worker.ts', import.meta.url)), script)
  mf = new Miniflare({
    modules: true,
    script: readFileSync(script, 'utf8'),
    compatibilityDate: '2025-07-01',
    cf: false,
    d1Databases: ['DB'],
    host: '127.0.0.1',
    port: 0,
  })
  await mf.ready
}, 60_000)
afterAll(async () => {
  await mf?.dispose()
  rmSync(dir, { recursive: true, force: true })
})

// At most this many calls in flight: workerd's loopback server resets connections past a few
// hundred at once (the suite's 1,000 concurrent verifies make 2,000 store calls). The calls still
// overlap inside the Worker, 50 at a time; an answer lost in transit would not be retried (an
// increment is not idempotent), so none may be lost.
const MAX_IN_FLIGHT = 50
let inFlight = 0
const queued: (() => void)[] = []

async function call(message: unknown): Promise<unknown> {
  if (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => queued.push(resolve))
  inFlight++
  try {
    const response = await dispatch(wire.encode(message))
    const answer = wire.decode(await response.text())
    if (answer !== null && typeof answer === 'object' && '$rpcError' in answer)
      throw keywardError(answer.$rpcError as Error, (answer as { limit?: { ownerId: string; maxKeys: number } }).limit)
    return answer
  } finally {
    inFlight--
    queued.shift()?.()
  }
}

/** Socket errors raised while the request was still being written: it never reached the Worker. */
const UNSENT = new Set(['EPIPE', 'ECONNREFUSED'])

/**
 * Send one call to the Worker. A request whose socket failed before it was sent (workerd's loopback
 * server closing a kept-alive connection under load) is sent again: it was never applied, so even
 * an increment cannot count twice. Anything else (a reset after sending) is not retried.
 */
async function dispatch(body: string): ReturnType<Miniflare['dispatchFetch']> {
  for (let attempt = 1; ; attempt++)
    try {
      return await mf.dispatchFetch('http://store/', { method: 'POST', body })
    } catch (error) {
      const code = ((error as { cause?: { code?: string } }).cause ?? (error as { code?: string })).code
      if (attempt >= 4 || code === undefined || !UNSENT.has(code)) throw error
      await new Promise((resolve) => setTimeout(resolve, 25 * attempt))
    }
}

/** An error from the Worker as this process's class for its code (Keyward tells its own errors by class). */
function keywardError(error: Error & { code?: string; field?: string }, limit?: { ownerId: string; maxKeys: number }): Error {
  if (error.code === undefined) return error
  const rebuilt =
    error.code === 'invalid_input'
      ? new InvalidInputError(error.field ?? '', '')
      : error.code === 'duplicate_id'
        ? new DuplicateKeyIdError('')
        : error.code === 'limit_exceeded' && limit !== undefined
          ? new LimitExceededError(limit.ownerId, limit.maxKeys)
          : new KeywardError(error.code as never, '')
  return Object.assign(rebuilt, { message: error.message })
}

/** Run SQL statements on the Worker's D1 database, as one batch. */
export async function execSql(statements: string[]): Promise<void> {
  await call({ exec: statements })
}

/** A D1KeyStore in the Worker: every KeyStore method, `schemaVersion` and `migrate` run there. */
export type RemoteStore = KeyStore & { table: string; schemaVersion(): Promise<number>; migrate(): Promise<void> }

/** A KeyStore whose every method runs in the Worker, on the D1KeyStore opened there. */
export async function remoteStore(table: string, migrate = true): Promise<RemoteStore> {
  const id = await call({ open: { table, migrate } })
  const method =
    (name: string) =>
    (...args: unknown[]) =>
      call({ store: id, method: name, args })
  return {
    insert: method('insert'),
    insertMany: method('insertMany'),
    findById: method('findById'),
    update: method('update'),
    delete: method('delete'),
    list: method('list'),
    touch: method('touch'),
    incrementCounter: method('incrementCounter'),
    spendCredits: method('spendCredits'),
    ...Object.fromEntries(
      [
        'addUsage',
        'readUsage',
        'pruneUsage',
        'appendAudit',
        'listAudit',
        'pruneAudit',
        'recordNotifications',
        'claimNotifications',
        'settleNotification',
        'pruneNotifications',
        'acquireLease',
        'charge',
        'getOwner',
        'putOwner',
      ].map((name) => [name, method(name)]),
    ),
    close: method('close'),
    schemaVersion: method('schemaVersion'),
    migrate: method('migrate'),
    table,
  } as RemoteStore
}
