/**
 * The store operations a verification can cause, measured one by one on a `KeyStore`: what
 * SCALING.md's sizing model multiplies. Each operation runs for a fixed time with many callers
 * (throughput) and then sequentially (latency).
 */
import { createKeyward, type KeyStore } from '@keyward/core'
import type { Charge } from '@keyward/core/store'

export const PEPPER = 'bench-pepper-0123456789-0123456789-abcdef'

/** One operation of the verify path, on key `i` of the prepared set. */
export interface Operation {
  name: string
  /** What one call stands for in the model (one verify's worth, or a batch of last-used or usage entries). */
  unit: string
  /** Entries per call (1 for single operations; the batch size for touch and usage). */
  perCall: number
  run(i: number): Promise<void>
}

export interface OpFigure {
  name: string
  unit: string
  perSec: number
  medianMs: number
  p99Ms: number
  /** Units run in all (both phases). */
  units: number
  /** Server command time per unit (µs), where the store reports it. */
  serverMicros?: number
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

/** Calls of `op` per second with `concurrency` callers for `ms`, then the latency of `samples` sequential calls. */
export async function measure(op: Operation, options: { concurrency: number; ms: number; samples: number }): Promise<OpFigure> {
  let calls = 0
  const deadline = performance.now() + options.ms
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, w) => {
      for (let i = w; performance.now() < deadline; i += options.concurrency) {
        await op.run(i)
        calls++
      }
    }),
  )
  const perSec = ((calls * op.perCall) / (performance.now() - t0)) * 1000
  const latencies: number[] = []
  for (let i = 0; i < options.samples; i++) {
    const start = performance.now()
    await op.run(i * 7919)
    latencies.push(performance.now() - start)
  }
  latencies.sort((a, b) => a - b)
  const units = (calls + options.samples) * op.perCall
  return { name: op.name, unit: op.unit, perSec, medianMs: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), units }
}

/** `count` keys created through Keyward (as an application would), each with a rate limit and credits, under one of 100 owners. */
export async function prepareKeys(store: KeyStore, count: number): Promise<{ ids: string[]; owners: string[] }> {
  const keyward = createKeyward({ prefix: 'bench_scale', store, pepper: PEPPER, cache: false, lastUsed: false, throttle: false })
  const owners = Array.from({ length: 100 }, (_, i) => `owner_${i}`)
  const ids: string[] = new Array(count)
  let next = 0
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = next++
        const { info } = await keyward.create({
          name: `integration ${i}`,
          ownerId: owners[i % owners.length]!,
          scopes: ['messages:send', 'contacts:sync'],
          rateLimit: { limit: 1_000_000, windowMs: 60_000 },
          credits: { remaining: 1_000_000_000 },
        })
        ids[i] = info.id
      }
    }),
  )
  await keyward.close()
  return { ids, owners }
}

const BATCH = 100

/** The operations of the model, over the prepared keys. */
export function operations(store: KeyStore, ids: string[], owners: string[]): Operation[] {
  const id = (i: number) => ids[i % ids.length]!
  const counter = (name: string): Charge => ({
    type: 'counter',
    name,
    amount: 1,
    limit: 1_000_000_000,
    windowMs: 60_000,
    algorithm: 'fixed',
  })
  const charge = store.charge?.bind(store)
  if (!charge) throw new Error('the store has no charge()')
  return [
    { name: 'findById (cache miss)', unit: 'verify', perCall: 1, run: async (i) => void (await store.findById(id(i))) },
    {
      name: 'charge: key limit',
      unit: 'verify',
      perCall: 1,
      run: async (i) => void (await charge([counter(`rate:${id(i)}`)], Date.now())),
    },
    {
      name: 'charge: key limit + key credits',
      unit: 'verify',
      perCall: 1,
      run: async (i) => void (await charge([counter(`rate:${id(i)}`), { type: 'credits', holder: 'key', id: id(i), cost: 1 }], Date.now())),
    },
    {
      name: 'charge: key limit + owner limit',
      unit: 'verify',
      perCall: 1,
      run: async (i) => void (await charge([counter(`rate:${id(i)}`), counter(`owner:default:${owners[i % owners.length]!}`)], Date.now())),
    },
    {
      name: `touch (last used, batches of ${BATCH})`,
      unit: 'key',
      perCall: BATCH,
      run: async (i) => {
        const at = new Date()
        await store.touch(Array.from({ length: BATCH }, (_, j) => ({ id: id(i * BATCH + j), lastUsedAt: at })))
      },
    },
    {
      name: `addUsage (usage flush, batches of ${BATCH})`,
      unit: 'key',
      perCall: BATCH,
      run: async (i) => {
        const minute = Math.floor(Date.now() / 60_000) * 60_000
        await store.addUsage?.(
          Array.from({ length: BATCH }, (_, j) => {
            const k = i * BATCH + j
            return { keyId: id(k), ownerId: owners[k % owners.length]!, prefix: 'bench_scale', minute, outcome: 'ok' as const, count: 1 }
          }),
        )
      },
    },
  ]
}
