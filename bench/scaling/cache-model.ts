/**
 * `pnpm bench:cache`: checks SCALING.md's cache model against Keyward itself. N instances of
 * `createKeyward` share one store (a MemoryKeyStore that counts `findById`) and a simulated clock;
 * requests arrive as a Poisson process spread evenly over K active keys and routed to a random
 * instance (or, `sticky`, always the same instance per key). The measured share of verifies that
 * read the store is printed next to the model's `1 / (1 + λ·T)`, λ = R / (K·N) a key's request rate at
 * one instance and T the cache TTL. Writes the `## Cache hit ratio` section of BENCHMARKS.md.
 * Usage: pnpm bench:cache [-- --rate 1000 --minutes 5 --no-write]
 */
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createKeyward, MemoryKeyStore, type Keyward } from '@keyward/core'
import { fmt, machine, publishReport } from '../lib/report.js'
import { PEPPER } from './ops.js'

const { values } = parseArgs({
  // pnpm passes the `--` before a script's own options through.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    rate: { type: 'string', default: '1000' },
    minutes: { type: 'string', default: '5' },
    'no-write': { type: 'boolean', default: false },
  },
})
const RATE = Number(values.rate)
const MINUTES = Number(values.minutes)
const TTL_MS = 30_000

interface Scenario {
  keys: number
  instances: number
  sticky: boolean
  /** The cache's `max` (entries per instance). */
  max: number
}

const SCENARIOS: Scenario[] = [
  { keys: 1_000, instances: 1, sticky: false, max: 10_000 },
  { keys: 1_000, instances: 20, sticky: false, max: 10_000 },
  { keys: 10_000, instances: 20, sticky: false, max: 10_000 },
  { keys: 10_000, instances: 20, sticky: true, max: 10_000 },
  { keys: 100_000, instances: 20, sticky: false, max: 10_000 },
  { keys: 30_000, instances: 1, sticky: false, max: 10_000 },
]

/** A deterministic PRNG (mulberry32): the simulation's arrivals, not a secret. */
function prng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

async function simulate(s: Scenario): Promise<{ measured: number; model: number; verifies: number }> {
  const store = new MemoryKeyStore()
  let reads = 0
  const findById = store.findById.bind(store)
  store.findById = (id) => {
    reads++
    return findById(id)
  }
  let clock = Date.UTC(2026, 0, 1)
  const common = { prefix: 'bench_cache', store, pepper: PEPPER, lastUsed: false, throttle: false, usage: false, now: () => clock } as const
  const maker = createKeyward(common)
  const keys: string[] = []
  for (let i = 0; i < s.keys; i++) keys.push((await maker.create({ name: `k${i}` })).key)
  await maker.close()
  const instances: Keyward[] = Array.from({ length: s.instances }, () => createKeyward({ ...common, cache: { ttlMs: TTL_MS, max: s.max } }))
  const random = prng(s.keys * 31 + s.instances)
  const warmUpMs = 2 * TTL_MS
  const endAt = clock + warmUpMs + MINUTES * 60_000
  let verifies = 0
  let counted = false
  let readsAtStart = 0
  while (clock < endAt) {
    clock += -Math.log(1 - random()) * (1000 / RATE)
    if (!counted && clock >= endAt - MINUTES * 60_000) {
      counted = true
      readsAtStart = reads
    }
    const k = Math.floor(random() * s.keys)
    const instance = instances[s.sticky ? k % s.instances : Math.floor(random() * s.instances)]!
    const result = await instance.verify(keys[k]!)
    if (!result.ok) throw new Error(`verify failed: ${result.code}`)
    if (counted) verifies++
  }
  for (const instance of instances) await instance.close()
  const perInstanceRate = RATE / (s.keys * (s.sticky ? 1 : s.instances)) / 1000
  return { measured: (reads - readsAtStart) / verifies, model: 1 / (1 + perInstanceRate * TTL_MS), verifies }
}

/** The heap a cache entry takes: 20,000 keys verified once each (cache `max` above that), heap after minus before, per key. */
async function bytesPerEntry(): Promise<number> {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const count = 20_000
  const store = new MemoryKeyStore()
  const common = { prefix: 'bench_cache', store, pepper: PEPPER, lastUsed: false, throttle: false, usage: false } as const
  const maker = createKeyward(common)
  const keys: string[] = []
  for (let i = 0; i < count; i++) keys.push((await maker.create({ name: `integration ${i}`, scopes: ['messages:send'] })).key)
  await maker.close()
  const keyward = createKeyward({ ...common, cache: { ttlMs: 3_600_000, max: count * 2 } })
  await keyward.verify(keys[0]!)
  gc()
  const before = process.memoryUsage().heapUsed
  for (const key of keys) await keyward.verify(key)
  gc()
  const bytes = (process.memoryUsage().heapUsed - before) / count
  await keyward.close()
  return bytes
}

async function main(): Promise<void> {
  const entryBytes = await bytesPerEntry()
  const rows: string[] = []
  for (const s of SCENARIOS) {
    const r = await simulate(s)
    const routing = s.sticky ? 'sticky by key' : 'random'
    rows.push(
      `| ${fmt(s.keys)} | ${s.instances} | ${routing} | ${fmt(s.max)} | ${fmt(r.verifies)} | ${fmt(r.measured * 100, 1)} % | ${fmt(r.model * 100, 1)} % |`,
    )
    console.error(rows.at(-1))
  }
  publishReport(
    'Cache hit ratio',
    'bench:cache',
    (command) => `Command: \`${command}\` (builds first). Run on ${new Date().toISOString().slice(0, 10)}, ${machine()}.
Keyward's own cache, driven by a simulated clock: ${fmt(RATE)} verifies per second (Poisson arrivals) spread evenly over the active keys,
routed to a random instance (or always the same one per key), cache TTL ${TTL_MS / 1000} s, ${MINUTES} simulated minutes measured after a
warm-up of two TTLs. *Store reads* is the share of verifies that called \`findById\`; the model is \`1 / (1 + λ·T)\` with λ = R / (K·N),
the request rate of one key at one instance (N = 1 when routing is sticky), and T the TTL (SCALING.md). Where an instance sees more
distinct keys per TTL than the cache's \`max\`, LRU eviction adds misses the model does not count.

One cache entry (a record with a name and a scope, and the key it last matched) takes about ${fmt(entryBytes)} bytes of heap
(20,000 keys verified once each, heap after minus before, after a full GC).

| active keys K | instances N | routing | cache max | verifies counted | store reads, measured | model |
| ---: | ---: | --- | ---: | ---: | ---: | ---: |
${rows.join('\n')}
`,
    !values['no-write'],
  )
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.exitCode = 1
})
