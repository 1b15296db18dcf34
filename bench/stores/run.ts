/**
 * `pnpm bench:stores`: each store against a real server on this machine (started by
 * scripts/services.mjs when not running). For each: create/s (16 concurrent), verify/s with the
 * cache off (every verify reads the store; 32 concurrent), and cache-miss latency (sequential
 * verifies with the cache off: median and p99). Writes the `## Stores` section of BENCHMARKS.md.
 * Usage: pnpm bench:stores [-- --keys 2000 --ms 3000 --samples 2000 --no-write]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKeyward, type KeyStore } from '@keyward/core'
import { PostgresKeyStore } from '@keyward/postgres'
import { RedisKeyStore } from '@keyward/redis'
import { SqliteKeyStore } from '@keyward/sqlite'
import { startReplicaPair } from '../../scripts/pg-replica.mjs'
import { startRedisCluster } from '../../scripts/redis-cluster.mjs'
import { replicaCaughtUp } from '../scaling/targets.js'
import { pgUrl, redisUrl, startPostgres, startRedis, stopPostgres, stopRedis } from '../../scripts/services.mjs'

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i]!
  if (a === '--no-write') args.set('no-write', '1')
  else if (a.startsWith('--')) args.set(a.slice(2), process.argv[++i]!)
}
const KEYS = Number(args.get('keys') ?? 2000)
const VERIFY_MS = Number(args.get('ms') ?? 3000)
const SAMPLES = Number(args.get('samples') ?? 2000)
const CREATE_CONCURRENCY = 16
const VERIFY_CONCURRENCY = 32
const PEPPER = 'bench-pepper-0123456789-0123456789-abcdef'

interface Result {
  store: string
  createPerSec: number
  verifyPerSec: number
  medianMs: number
  p99Ms: number
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count)
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++
        out[i] = await task(i)
      }
    }),
  )
  return out
}

/** `settle`: run after the keys are made, before any verify (a replica catching up). */
async function bench(name: string, store: KeyStore, settle?: (ids: string[]) => Promise<void>): Promise<Result> {
  const keyward = createKeyward({ prefix: 'bench_store', store, pepper: PEPPER, cache: false, lastUsed: false, throttle: false })
  // Warm-up: connections, prepared statements, scripts, JIT.
  const warm = await pool(200, CREATE_CONCURRENCY, () => keyward.create({ name: 'warm-up', ownerId: 'bench' }))
  await pool(warm.length, VERIFY_CONCURRENCY, (i) => keyward.verify(warm[i]!.key))

  let t0 = performance.now()
  const created = await pool(KEYS, CREATE_CONCURRENCY, () =>
    keyward.create({ name: 'bench key', ownerId: 'bench', scopes: ['messages:send'] }),
  )
  const createPerSec = KEYS / ((performance.now() - t0) / 1000)
  const keys = created.map((c) => c.key)
  await settle?.(created.map((c) => c.info.id))

  let done = 0
  let failed = 0
  const deadline = performance.now() + VERIFY_MS
  t0 = performance.now()
  await Promise.all(
    Array.from({ length: VERIFY_CONCURRENCY }, async (_, w) => {
      for (let i = w; performance.now() < deadline; i += VERIFY_CONCURRENCY) {
        const result = await keyward.verify(keys[i % keys.length]!)
        if (!result.ok) failed++
        done++
      }
    }),
  )
  const verifyPerSec = done / ((performance.now() - t0) / 1000)
  if (failed > 0) throw new Error(`${name}: ${failed} verifications failed`)

  const latencies: number[] = []
  for (let i = 0; i < SAMPLES; i++) {
    const key = keys[(i * 7919) % keys.length]!
    const start = performance.now()
    const result = await keyward.verify(key)
    latencies.push(performance.now() - start)
    if (!result.ok) throw new Error(`${name}: verification failed`)
  }
  latencies.sort((a, b) => a - b)
  await keyward.close()
  return { store: name, createPerSec, verifyPerSec, medianMs: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99) }
}

async function main(): Promise<void> {
  const started = await Promise.all([startPostgres(), startRedis()])
  const results: Result[] = []
  const stamp = Date.now().toString(36)

  const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-'))
  const sqlite = new SqliteKeyStore(join(dir, 'bench.db'))
  try {
    results.push(await bench('SQLite (file, WAL)', sqlite))
  } finally {
    await sqlite.close()
    rmSync(dir, { recursive: true, force: true })
  }

  const postgres = new PostgresKeyStore({ connection: pgUrl(), namespace: `bench_${stamp}`, max: 10 })
  try {
    results.push(await bench('PostgreSQL 15 (pg, pool of 10)', postgres))
  } finally {
    await postgres.pool.query(`DROP SCHEMA IF EXISTS "bench_${stamp}" CASCADE`).catch(() => undefined)
    await postgres.close()
  }

  const redis = new RedisKeyStore({ connection: redisUrl(), namespace: `bench:${stamp}:` })
  try {
    results.push(await bench('Redis 7 (ioredis)', redis))
  } finally {
    const keys = await redis.redis.keys(`bench:${stamp}:*`)
    for (let i = 0; i < keys.length; i += 1000) await redis.redis.del(...keys.slice(i, i + 1000))
    await redis.close()
  }

  if (started[0]) await stopPostgres()
  if (started[1]) await stopRedis()

  // The scaled-out topologies, each on servers of its own (free ports, fresh directories).
  const pair = await startReplicaPair()
  const replicated = new PostgresKeyStore({ connection: pair.primaryUrl, replica: pair.replicaUrl, namespace: 'bench', max: 10 })
  try {
    results.push(await bench('PostgreSQL 15, reads on a streaming replica', replicated, (ids) => replicaCaughtUp(replicated, pair, ids)))
  } finally {
    await replicated.close()
    await pair.remove()
  }

  const cluster = await startRedisCluster()
  const sharded = new RedisKeyStore({ connection: { cluster: cluster.nodes }, namespace: 'bench:' })
  try {
    results.push(await bench('Redis 7 Cluster, 3 masters (ioredis Cluster)', sharded))
  } finally {
    await sharded.close()
    await cluster.remove()
  }

  const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
  const ms = (n: number) => n.toFixed(2)
  const table = [
    '| store | verify/s, cache off | cache-miss latency median | p99 | create/s |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...results.map((r) => `| ${r.store} | ${fmt(r.verifyPerSec)} | ${ms(r.medianMs)} ms | ${ms(r.p99Ms)} ms | ${fmt(r.createPerSec)} |`),
  ].join('\n')
  process.stdout.write(`${table}\n`)
  if (args.has('no-write')) return

  const section = `## Stores

Command: \`pnpm bench:stores\` (= \`pnpm build && tsx bench/stores/run.ts\`; options \`-- --keys ${KEYS} --ms ${VERIFY_MS} --samples ${SAMPLES}\`).
Each store against a real server on this machine (${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}),
over loopback, started by \`scripts/services.mjs\` (PostgreSQL with \`fsync=off\`, Redis without persistence); the replica pair
(\`scripts/pg-replica.mjs\`: a primary and a \`pg_basebackup\` standby streaming from it) and the 3-master cluster
(\`scripts/redis-cluster.mjs\`) run on this same machine, so they share its ${cpus().length} cores with the client: they show what the
topology costs per call here, not what it adds in capacity (SCALING.md).
Keyward with \`cache: false\` so every verify reads the store, HMAC-SHA256 pepper, no last-used writes, no throttling.
verify/s: ${VERIFY_CONCURRENCY} concurrent callers for ${VERIFY_MS / 1000} s over ${fmt(KEYS)} keys. Latency: ${fmt(SAMPLES)} sequential
verifies (each a cache miss: parse, store read, digest, compare). create/s: ${fmt(KEYS)} creates, ${CREATE_CONCURRENCY} concurrent.
With the cache on (the default) a repeat verify does not touch the store at all. Figures vary by ±30 % between runs on this shared machine.
Run on ${new Date().toISOString().slice(0, 10)}.

${table}
`
  const file = join(import.meta.dirname, '..', '..', 'BENCHMARKS.md')
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n'
  const start = current.search(/^## Stores\s*$/m)
  let next: string
  if (start === -1) next = `${current.trimEnd()}\n\n${section}`
  else {
    const rest = current.slice(start + 1)
    const end = rest.search(/^## /m)
    next = current.slice(0, start) + section + (end === -1 ? '' : `\n${rest.slice(end)}`)
  }
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`)
  process.stdout.write(`wrote the Stores section of ${file}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
})
