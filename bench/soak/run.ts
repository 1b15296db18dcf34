/**
 * `pnpm bench:soak`: for each framework and store, two Keyward server processes over one private
 * PostgreSQL (or Redis) under autocannon load on 127.0.0.1, while a third process creates,
 * disables, enables, rotates and revokes keys (bench/soak/churn.ts) and polls both servers to time
 * how long each change takes to reach them. Reports requests served, 5xx, the worst time from a
 * revocation until both servers refuse the key, and each server's RSS after warm-up and at the end.
 *
 * Usage: pnpm bench:soak [-- --seconds 60 --warmup 10 --connections 4 --keys 50
 *          --frameworks express,koa,fastify --stores postgres,redis --no-write]
 * Bounded: each configuration runs warm-up + seconds, the whole run has a watchdog, and every child
 * process and private server is stopped at the end (also on error or Ctrl-C). Writes the
 * `## Soak under churn` section of BENCHMARKS.md unless --no-write.
 */
import { createKeyward } from '@keyward/core'
import type { Framework } from '../lib/apps.js'
import { listArg, numberArg, parseArgs } from '../lib/args.js'
import { ask, cleanupOnSignal, forkTs, resolveFrom, stopAllChildren, stopChild, type Child } from '../lib/children.js'
import { startLoad, type Load } from '../lib/load.js'
import { fmt, machine, publishReport } from '../lib/report.js'
import { openStore, PEPPER, PREFIX, startPrivateService, stopPrivateServices, type PrivateService, type StoreKind } from '../lib/stores.js'
import type { ChurnFigures } from './churn.js'

const args = parseArgs()
const SECONDS = numberArg(args, 'seconds', 60, 5, 3600)
const WARMUP = numberArg(args, 'warmup', 10, 1, 600)
const CONNECTIONS = numberArg(args, 'connections', 4, 1, 256)
const STABLE_KEYS = numberArg(args, 'keys', 50, 1, 10_000)
const FRAMEWORKS = listArg<Framework>(args, 'frameworks', ['express', 'koa', 'fastify'], ['express', 'koa', 'fastify'])
const STORES = listArg<StoreKind>(args, 'stores', ['postgres', 'redis'], ['postgres', 'redis'])
const WRITE = !args.has('no-write')
const here = (file: string) => resolveFrom(import.meta.url, file)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const log = (line: string) => process.stderr.write(`[soak] ${line}\n`)

interface ServerStats {
  rss: number
  heapUsed: number
  cpuMicros: number
  handled: number
}

interface Outcome {
  framework: Framework
  store: StoreKind
  requests: number
  status2xx: number
  status4xx: number
  status5xx: number
  errors: number
  p99: number
  maxMs: number
  rssStart: number[]
  rssEnd: number[]
  heapStart: number[]
  heapEnd: number[]
  rssRanges: string[]
  churn: ChurnFigures
}

const stats = (child: Child<unknown>, gc: boolean) => ask<ServerStats>(child.process, { type: 'stats', gc })
const RSS_SAMPLES = 5

/** Per server: the median of RSS_SAMPLES samples 1 s apart, each after a full GC (RSS is noisy under load). */
async function memory(servers: Child<unknown>[]): Promise<{ rss: number; heapUsed: number; rssMin: number; rssMax: number }[]> {
  const samples: ServerStats[][] = servers.map(() => [])
  for (let i = 0; i < RSS_SAMPLES; i++) {
    if (i > 0) await sleep(1000)
    const round = await Promise.all(servers.map((s) => stats(s, true)))
    for (const [j, x] of round.entries()) samples[j]!.push(x)
  }
  return samples.map((xs) => {
    const rss = xs.map((x) => x.rss)
    return { rss: median(rss), heapUsed: median(xs.map((x) => x.heapUsed)), rssMin: Math.min(...rss), rssMax: Math.max(...rss) }
  })
}

async function soak(framework: Framework, service: PrivateService): Promise<Outcome> {
  const namespace = `soak_${process.pid}_${framework}`
  const store = openStore(service.kind, service.url, namespace)
  const admin = createKeyward({ prefix: PREFIX, store, pepper: PEPPER, cache: false, lastUsed: false, throttle: false })
  const loads: Load[] = []
  try {
    // Keys the load cycles through; creating them also runs the store's migrations once.
    const keys: string[] = []
    for (let i = 0; i < STABLE_KEYS; i++) keys.push((await admin.create({ name: `soak load ${i}`, scopes: ['messages:send'] })).key)

    const serverArgs = [framework, service.kind, service.url, namespace, 'on']
    const servers = await Promise.all(
      [1, 2].map((n) =>
        forkTs<{ port: number }>(`${framework} server ${n}`, here('../lib/keyward-server.ts'), serverArgs, { execArgv: ['--expose-gc'] }),
      ),
    )
    const ports = servers.map((s) => s.ready.port)
    const churn = await forkTs<unknown>('churn', here('churn.ts'), [
      service.kind,
      service.url,
      namespace,
      ports.join(','),
      String(WARMUP + SECONDS + 30),
    ])

    let measuring = false
    const counts = { requests: 0, status2xx: 0, status4xx: 0, status5xx: 0, errors: 0, maxMs: 0 }
    const latencies: number[] = []
    for (const port of ports)
      loads.push(
        startLoad({
          port,
          keys,
          connections: CONNECTIONS,
          seconds: WARMUP + SECONDS + 30, // bound only: stopped below
          onSample: (sample) => {
            if (!measuring) return
            counts.requests++
            if (sample.status === 0) counts.errors++
            else if (sample.status >= 500) counts.status5xx++
            else if (sample.status >= 400) counts.status4xx++
            else if (sample.status >= 200 && sample.status < 300) counts.status2xx++
            counts.maxMs = Math.max(counts.maxMs, sample.ms)
            if (latencies.length < 2_000_000) latencies.push(sample.ms)
          },
        }),
      )

    log(`${framework}/${service.kind}: warm-up ${WARMUP} s`)
    await sleep(WARMUP * 1000)
    const start = await memory(servers)
    await ask(churn.process, { type: 'measure' })
    measuring = true
    log(`${framework}/${service.kind}: measuring ${SECONDS} s (RSS ${start.map((s) => fmt(s.rss / 2 ** 20, 1)).join(' / ')} MiB)`)
    await sleep(SECONDS * 1000)
    const { figures } = await ask<{ figures: ChurnFigures }>(churn.process, { type: 'stop' }, 30_000)
    const end = await memory(servers)
    measuring = false
    for (const load of loads) load.stop()
    await Promise.all(loads.map((load) => load.done))
    loads.length = 0
    await Promise.all([churn, ...servers].map((child) => stopChild(child.process)))
    latencies.sort((a, b) => a - b)
    return {
      framework,
      store: service.kind,
      ...counts,
      p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
      rssStart: start.map((s) => s.rss),
      rssEnd: end.map((s) => s.rss),
      heapStart: start.map((s) => s.heapUsed),
      heapEnd: end.map((s) => s.heapUsed),
      rssRanges: [...start, ...end].map((s) => `${mib(s.rssMin)}–${mib(s.rssMax)}`),
      churn: figures,
    }
  } finally {
    for (const load of loads) load.stop()
    await stopAllChildren()
    await admin.close()
    if ('pool' in store)
      await (store as unknown as { pool: { query(sql: string): Promise<unknown> } }).pool
        .query(`DROP SCHEMA IF EXISTS "${namespace}" CASCADE`)
        .catch(() => undefined)
    await store.close().catch(() => undefined)
  }
}

const worst = (xs: number[]) => (xs.length === 0 ? Number.NaN : Math.max(...xs))
const median = (xs: number[]) => (xs.length === 0 ? Number.NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!)
const ms = (x: number) => (Number.isFinite(x) ? fmt(x, 0) : x === Number.POSITIVE_INFINITY ? '> 5,000 (not seen)' : '—')
const mib = (bytes: number) => fmt(bytes / 2 ** 20, 1)
const growth = (a: number, b: number) => ((b - a) / a) * 100

function report(outcomes: Outcome[], command: string): string {
  const lines: string[] = []
  lines.push(
    `Command: \`${command}\`. ${machine()}; run on ${new Date().toISOString().slice(0, 10)}.`,
    `Per configuration: two server processes (\`apiKeyAuth\` with Keyward's defaults: cache on, last-used writes, throttling) over one private`,
    `PostgreSQL or Redis on 127.0.0.1, each under autocannon (${CONNECTIONS} connections, cycling over ${STABLE_KEYS} keys), while a third process`,
    `runs churn cycles (create a key and ${5} more, disable, enable, rotate with a 300 ms grace period, revoke the successor) and polls both servers`,
    `every 10 ms after each change until both answer as they must. ${WARMUP} s warm-up, then ${SECONDS} s measured; figures are for the measured part.`,
    `RSS: median of ${RSS_SAMPLES} samples 1 s apart, each after a forced full GC (\`--expose-gc\`), after warm-up and at the end, under load both times.`,
    '',
    '| framework | store | requests served | 2xx | 4xx | 5xx | errors | p99 ms | max ms | churn cycles | revocation → both refuse, worst ms (median) | disable → both refuse, worst ms | grace end → old key refused, worst ms | RSS MiB start → end (growth), server 1 / server 2 |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  )
  for (const o of outcomes) {
    const rss = o.rssStart
      .map(
        (start, i) =>
          `${mib(start)} → ${mib(o.rssEnd[i]!)} (${growth(start, o.rssEnd[i]!) >= 0 ? '+' : ''}${fmt(growth(start, o.rssEnd[i]!), 1)} %)`,
      )
      .join(' / ')
    lines.push(
      `| ${o.framework} | ${o.store} | ${fmt(o.requests)} | ${fmt(o.status2xx)} | ${fmt(o.status4xx)} | ${fmt(o.status5xx)} | ${fmt(o.errors)} | ${fmt(o.p99, 0)} | ${fmt(o.maxMs, 0)} | ${fmt(o.churn.cycles)} | ${ms(worst(o.churn.revokeMs))} (${ms(median(o.churn.revokeMs))}) | ${ms(worst(o.churn.disableMs))} | ${ms(worst(o.churn.graceEndMs))} | ${rss} |`,
    )
  }
  lines.push(
    '',
    'V8 heap in use after a full GC, start → end, server 1 / server 2 (and the spread of the RSS samples: start 1, start 2, end 1, end 2):',
    '',
  )
  for (const o of outcomes)
    lines.push(
      `- ${o.framework}/${o.store}: ${o.heapStart.map((start, i) => `${mib(start)} → ${mib(o.heapEnd[i]!)} MiB`).join(' / ')} (RSS samples ${o.rssRanges.join(', ')} MiB)`,
    )
  const all = (pick: (o: Outcome) => number[]) => outcomes.flatMap(pick)
  const fiveXx = outcomes.reduce((n, o) => n + o.status5xx, 0)
  const worstRevoke = worst(all((o) => o.churn.revokeMs))
  const worstGrowth = worst(outcomes.flatMap((o) => o.rssStart.map((s, i) => growth(s, o.rssEnd[i]!))))
  const violations = all((o) => o.churn.violations.map(() => 0)).length
  const errors = outcomes.flatMap((o) => o.churn.errors.map((e) => `${o.framework}/${o.store}: ${e}`))
  lines.push(
    '',
    `Revocations timed: ${fmt(all((o) => o.churn.revokeMs).length)} (from the start of \`revoke()\`, which took at most ${ms(worst(all((o) => o.churn.revokeCallMs)))} ms itself, until the`,
    `second server's 401; the polling step is 10 ms plus one request under load). Keys created: ${fmt(outcomes.reduce((n, o) => n + o.churn.created, 0))};`,
    `worst time until both servers accepted a new key: ${ms(worst(all((o) => o.churn.newKeyMs)))} ms; worst enable → both accept: ${ms(worst(all((o) => o.churn.enableMs)))} ms.`,
    `Old keys refused during their grace period: ${violations}. Churn calls that failed: ${errors.length}${errors.length ? ` (${errors.slice(0, 3).join('; ')})` : ''}.`,
    '',
    '### Against the targets',
    '',
    `- 5xx: ${fmt(fiveXx)} (target 0) — ${fiveXx === 0 ? 'met' : '**missed**'}.`,
    `- Worst revocation → both servers refuse: ${ms(worstRevoke)} ms (target ≤ 1,000 ms) — ${worstRevoke <= 1000 ? 'met' : '**missed**'}.`,
    `- Worst RSS growth after warm-up: ${fmt(worstGrowth, 1)} % (target < 10 %) — ${worstGrowth < 10 ? 'met' : '**missed**'}.`,
  )
  return lines.join('\n')
}

const outcomes: Outcome[] = []
cleanupOnSignal(stopPrivateServices)
// Watchdog: whatever happens, the run ends (and cleans up) within a bound.
const boundMs = (STORES.length * FRAMEWORKS.length * (WARMUP + SECONDS + 90) + 120) * 1000
const watchdog = setTimeout(() => {
  log(`watchdog: still running after ${boundMs / 1000} s; stopping`)
  process.kill(process.pid, 'SIGTERM')
}, boundMs)
watchdog.unref()
try {
  for (const kind of STORES) {
    const service = await startPrivateService(kind)
    log(`${kind} on 127.0.0.1:${service.port}`)
    for (const framework of FRAMEWORKS) outcomes.push(await soak(framework, service))
  }
} finally {
  await stopAllChildren()
  await stopPrivateServices()
  clearTimeout(watchdog)
}
publishReport('Soak under churn', 'bench:soak', (command) => report(outcomes, command), WRITE)
