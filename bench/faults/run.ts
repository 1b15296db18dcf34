/**
 * `pnpm bench:faults`: store outages under load. For each store (a private PostgreSQL, then a
 * private Redis, each on a free port), Keyward servers for each framework, with the default cache
 * and with `cache: false`, run in their own processes under autocannon on 127.0.0.1. After a
 * quiet phase the store server is stopped for `--gap` seconds and started again. Every response is
 * put in its phase by the time its request was sent: before, stopping, gap (store down), restarting,
 * after (store back). Checks: no 200 and no answer slower than the store timeout in the gap (for
 * servers that must read the store), service back by itself within 5 s of the store's return, and
 * every key created before the fault verifying on every server after it.
 *
 * Usage: pnpm bench:faults [-- --gap 10 --before 5 --after 10 --connections 2 --keys 20
 *          --frameworks express,koa,fastify --stores postgres,redis --cache on,off
 *          --no-write]
 * Bounded (watchdog), and every child process and private server is stopped at the end (also on
 * error or Ctrl-C). Writes the `## Faults` section of BENCHMARKS.md unless --no-write.
 */
import { createKeyward } from '@keyward/core'
import type { Framework } from '../lib/apps.js'
import { listArg, numberArg, parseArgs } from '../lib/args.js'
import { cleanupOnSignal, forkTs, resolveFrom, stopAllChildren, type Child } from '../lib/children.js'
import { startLoad, type Load, type Sample } from '../lib/load.js'
import { fmt, machine, publishReport } from '../lib/report.js'
import {
  DEFAULT_STORE_TIMEOUT_MS,
  openStore,
  PEPPER,
  PREFIX,
  startPrivateService,
  stopPrivateServices,
  type PrivateService,
  type StoreKind,
} from '../lib/stores.js'

const args = parseArgs()
const GAP = numberArg(args, 'gap', 10, 1, 300)
const BEFORE = numberArg(args, 'before', 5, 1, 300)
const AFTER = numberArg(args, 'after', 10, 6, 300)
const WARMUP = numberArg(args, 'warmup', 3, 1, 60)
const CONNECTIONS = numberArg(args, 'connections', 2, 1, 64)
const KEYS = numberArg(args, 'keys', 20, 1, 1000)
const FRAMEWORKS = listArg<Framework>(args, 'frameworks', ['express', 'koa', 'fastify'], ['express', 'koa', 'fastify'])
const STORES = listArg<StoreKind>(args, 'stores', ['postgres', 'redis'], ['postgres', 'redis'])
const CACHE = listArg<'on' | 'off'>(args, 'cache', ['on', 'off'], ['on', 'off'])
const WRITE = !args.has('no-write')
const RECOVERY_TARGET_MS = 5_000
const PHASES = ['before', 'stopping', 'gap', 'restarting', 'after'] as const
type Phase = (typeof PHASES)[number]
const here = (file: string) => resolveFrom(import.meta.url, file)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const log = (line: string) => process.stderr.write(`[faults] ${line}\n`)

interface Counts {
  ok: number
  unauthorized: number
  unavailable: number
  other: number
  maxMs: number
}
const emptyCounts = (): Counts => ({ ok: 0, unauthorized: 0, unavailable: 0, other: 0, maxMs: 0 })

interface ServerOutcome {
  label: string
  framework: Framework
  cache: 'on' | 'off'
  phases: Record<Phase, Counts>
  /** ms from the store server's return until the end of the last non-200 answer (0: none after it). */
  recoveryMs: number
  /** Pre-fault keys that answered 200 on this server after the fault. */
  keysOkAfter: number
}

interface StoreOutcome {
  store: StoreKind
  stopMs: number
  downMs: number
  restartMs: number
  timeoutMs: number
  servers: ServerOutcome[]
  keysVerifiedDirect: number
}

async function status(port: number, key: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/json`, {
    headers: { authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(10_000),
  })
  await response.arrayBuffer()
  return response.status
}

async function fault(service: PrivateService): Promise<StoreOutcome> {
  const namespace = `faults_${process.pid}`
  const store = openStore(service.kind, service.url, namespace)
  const admin = createKeyward({ prefix: PREFIX, store, pepper: PEPPER, cache: false, lastUsed: false, throttle: false })
  const loads: Load[] = []
  try {
    const keys: string[] = []
    for (let i = 0; i < KEYS; i++) keys.push((await admin.create({ name: `before the fault ${i}` })).key)

    const specs = FRAMEWORKS.flatMap((framework) => CACHE.map((cache) => ({ framework, cache, label: `${framework}, cache ${cache}` })))
    const servers: (Child<{ port: number }> & (typeof specs)[number])[] = []
    for (const spec of specs)
      servers.push({
        ...spec,
        ...(await forkTs<{ port: number }>(spec.label, here('../lib/keyward-server.ts'), [
          spec.framework,
          service.kind,
          service.url,
          namespace,
          spec.cache,
        ])),
      })

    // Phase boundaries, in performance.now() of this process; a response belongs to the phase its request was sent in.
    const marks = { measure: Number.POSITIVE_INFINITY, stop: 0, stopped: 0, restart: 0, up: 0, end: 0 }
    const samples = servers.map(() => [] as Sample[])
    const limit = 3_000_000
    for (const [i, server] of servers.entries())
      loads.push(
        startLoad({
          port: server.ready.port,
          keys,
          connections: CONNECTIONS,
          seconds: WARMUP + BEFORE + GAP + AFTER + 120, // bound only: stopped below
          timeoutSeconds: 10,
          onSample: (sample) => {
            if (sample.sentAt >= marks.measure && samples[i]!.length < limit) samples[i]!.push(sample)
          },
        }),
      )
    await sleep(WARMUP * 1000)
    marks.measure = performance.now()
    log(`${service.kind}: ${servers.length} servers under load; ${BEFORE} s before the fault`)
    await sleep(BEFORE * 1000)

    marks.stop = performance.now()
    await service.stop()
    marks.stopped = performance.now()
    log(`${service.kind}: stopped (${fmt(marks.stopped - marks.stop)} ms); down for ${GAP} s`)
    await sleep(GAP * 1000)
    marks.restart = performance.now()
    await service.restart()
    marks.up = performance.now()
    log(`${service.kind}: back (${fmt(marks.up - marks.restart)} ms to start); load for ${AFTER} s more`)
    await sleep(AFTER * 1000)
    marks.end = performance.now()
    for (const load of loads) load.stop()
    await Promise.all(loads.map((load) => load.done))
    loads.length = 0

    const phaseOf = (t: number): Phase | undefined =>
      t < marks.stop
        ? 'before'
        : t < marks.stopped
          ? 'stopping'
          : t < marks.restart
            ? 'gap'
            : t < marks.up
              ? 'restarting'
              : t < marks.end
                ? 'after'
                : undefined
    const outcomes: ServerOutcome[] = []
    for (const [i, server] of servers.entries()) {
      const phases = Object.fromEntries(PHASES.map((p) => [p, emptyCounts()])) as Record<Phase, Counts>
      let lastBadEnd = 0
      for (const sample of samples[i]!) {
        const phase = phaseOf(sample.sentAt)
        if (phase === undefined) continue
        const c = phases[phase]
        if (sample.status === 200) c.ok++
        else if (sample.status === 401) c.unauthorized++
        else if (sample.status === 503) c.unavailable++
        else c.other++
        c.maxMs = Math.max(c.maxMs, sample.ms)
        if (sample.status !== 200 && sample.sentAt >= marks.stopped) lastBadEnd = Math.max(lastBadEnd, sample.sentAt + sample.ms)
      }
      let keysOkAfter = 0
      for (const key of keys) if ((await status(server.ready.port, key).catch(() => 0)) === 200) keysOkAfter++
      outcomes.push({
        label: server.label,
        framework: server.framework,
        cache: server.cache,
        phases,
        recoveryMs: Math.max(0, lastBadEnd - marks.up),
        keysOkAfter,
      })
    }
    let keysVerifiedDirect = 0
    for (const key of keys) if ((await admin.verify(key)).ok) keysVerifiedDirect++
    return {
      store: service.kind,
      stopMs: marks.stopped - marks.stop,
      downMs: marks.restart - marks.stopped,
      restartMs: marks.up - marks.restart,
      timeoutMs: DEFAULT_STORE_TIMEOUT_MS[service.kind],
      servers: outcomes,
      keysVerifiedDirect,
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

function report(outcomes: StoreOutcome[], command: string): string {
  const lines: string[] = []
  lines.push(
    `Command: \`${command}\`. ${machine()}; run on ${new Date().toISOString().slice(0, 10)}.`,
    `Per store: one private server on 127.0.0.1 (PostgreSQL stopped with \`pg_ctl -m fast\`; Redis with \`SHUTDOWN SAVE\`, as Redis here runs`,
    `without persistence) and ${outcomes[0]?.servers.length ?? 0} Keyward server processes (${FRAMEWORKS.join(', ')}; each with the default cache and with`,
    `\`cache: false\`; store options at their defaults, so one store call times out after ${outcomes.map((o) => `${fmt(o.timeoutMs)} ms (${o.store})`).join(' / ')}),`,
    `each under autocannon (${CONNECTIONS} connections cycling over ${KEYS} keys created before the fault, 10 s request timeout). ${WARMUP} s warm-up,`,
    `${BEFORE} s before the fault, the store down for ${GAP} s, then ${AFTER} s after its return. A response counts in the phase its request was sent in.`,
    `Recovery: from the moment the store answers again (\`pg_isready\` / \`PING\`) until the end of the last non-200 answer.`,
    '',
  )
  for (const o of outcomes) {
    lines.push(
      `**${o.store}**: stopping took ${fmt(o.stopMs)} ms, down ${fmt(o.downMs)} ms, starting again ${fmt(o.restartMs)} ms. ` +
        `Keys created before the fault that verify after it (direct \`verify\`, cache off): ${o.keysVerifiedDirect}/${KEYS}.`,
      '',
      '| server | before: 200/401/503/other | stopping | gap (store down): 200/401/503/other | gap max ms | restarting | after | recovery ms | pre-fault keys OK after |',
      '| --- | --- | --- | --- | ---: | --- | --- | ---: | ---: |',
    )
    const c = (x: Counts) => `${fmt(x.ok)} / ${fmt(x.unauthorized)} / ${fmt(x.unavailable)} / ${fmt(x.other)}`
    for (const s of o.servers)
      lines.push(
        `| ${s.label} | ${c(s.phases.before)} | ${c(s.phases.stopping)} | ${c(s.phases.gap)} | ${fmt(s.phases.gap.maxMs)} | ${c(s.phases.restarting)} | ${c(s.phases.after)} | ${fmt(s.recoveryMs)} | ${s.keysOkAfter}/${KEYS} |`,
      )
    lines.push('')
  }
  const all = outcomes.flatMap((o) => o.servers.map((s) => ({ ...s, store: o.store, timeoutMs: o.timeoutMs })))
  const uncached = all.filter((s) => s.cache === 'off')
  const cached = all.filter((s) => s.cache === 'on')
  const gapNon503 = uncached.reduce((n, s) => n + s.phases.gap.ok + s.phases.gap.unauthorized + s.phases.gap.other, 0)
  const gap200Cached = cached.reduce((n, s) => n + s.phases.gap.ok, 0)
  const gapTotalCached = cached.reduce(
    (n, s) => n + s.phases.gap.ok + s.phases.gap.unauthorized + s.phases.gap.unavailable + s.phases.gap.other,
    0,
  )
  const slow = all.filter((s) => s.phases.gap.maxMs > s.timeoutMs)
  const worstRecovery = Math.max(0, ...all.map((s) => s.recoveryMs))
  const keysLost = outcomes.reduce((n, o) => n + (KEYS - o.keysVerifiedDirect), 0) + all.reduce((n, s) => n + (KEYS - s.keysOkAfter), 0)
  lines.push(
    '### Against the targets',
    '',
    `- Every request in the gap is 503, never 200: ${uncached.length === 0 ? 'not run with cache off' : gapNon503 === 0 ? 'met' : `**missed** (${fmt(gapNon503)} non-503 answers)`} with \`cache: false\`; ` +
      (cached.length === 0
        ? ''
        : gap200Cached === 0
          ? `met with the default cache too (${fmt(gapTotalCached)} gap requests, none 200): the store's notification channel drops with the store, and the stores then tell Keyward to drop every cached record, so nothing is served from memory while revocations cannot arrive.`
          : `**missed** with the default cache: ${fmt(gap200Cached)} of ${fmt(gapTotalCached)} gap requests were 200, served from cached records.`),
    `- No answer in the gap slower than the store timeout: ${slow.length === 0 ? 'met' : `**missed** (${slow.map((s) => `${s.store} ${s.label}: ${fmt(s.phases.gap.maxMs)} ms`).join(', ')})`}; worst ${fmt(Math.max(0, ...all.map((s) => s.phases.gap.maxMs)))} ms.`,
    `- Service back by itself within ${fmt(RECOVERY_TARGET_MS)} ms of the store's return: worst ${fmt(worstRecovery)} ms — ${worstRecovery <= RECOVERY_TARGET_MS ? 'met' : '**missed**'}.`,
    `- Every key created before the fault verifies after it: ${keysLost === 0 ? 'met' : `**missed** (${keysLost} failures)`}.`,
  )
  return lines.join('\n')
}

const outcomes: StoreOutcome[] = []
cleanupOnSignal(stopPrivateServices)
const boundMs = (STORES.length * (WARMUP + BEFORE + GAP + AFTER + 180) + 60) * 1000
const watchdog = setTimeout(() => {
  log(`watchdog: still running after ${boundMs / 1000} s; stopping`)
  process.kill(process.pid, 'SIGTERM')
}, boundMs)
watchdog.unref()
try {
  for (const kind of STORES) {
    const service = await startPrivateService(kind)
    log(`${kind} on 127.0.0.1:${service.port}`)
    outcomes.push(await fault(service))
    await stopPrivateServices()
  }
} finally {
  await stopAllChildren()
  await stopPrivateServices()
  clearTimeout(watchdog)
}
publishReport('Faults', 'bench:faults', (command) => report(outcomes, command), WRITE)
