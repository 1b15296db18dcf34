/**
 * `pnpm bench:http`: Express, Koa, Fastify and Hono (on Node, `@hono/node-server`) and `Bun.serve`
 * (under Bun) serving a JSON route bare, behind a no-op middleware, behind Keyward and behind the
 * common alternative, each server in its own process, driven by autocannon over loopback in
 * interleaved rounds; then each middleware alone and Keyward's cost as the store grows.
 *
 * Usage: pnpm bench:http [-- --frameworks express,koa,fastify,hono,bun --rounds 8 --duration 2 --connections 16 --usage off --rules on
 *   --micro-ms 150 --max-keys 1000000 --skip-micro]
 * Prints a Markdown report (paste it into BENCHMARKS.md, "## HTTP adapters").
 */
import type { ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import os from 'node:os'
import { dirname, join } from 'node:path'
import autocannon from 'autocannon'
import { ALTERNATIVE, HTTP_FRAMEWORKS, type HttpFramework, KEYWARD, type Variant } from '../lib/apps.js'
import { listArg, parseArgs } from '../lib/args.js'
import { ask, cleanupOnSignal, forkTs, resolveFrom, stopAllChildren, stopChild } from '../lib/children.js'

const args = parseArgs()
const ROUNDS = Number(args.get('rounds') ?? 8)
const DURATION = Number(args.get('duration') ?? 2)
const CONNECTIONS = Number(args.get('connections') ?? 16)
const MICRO_MS = Number(args.get('micro-ms') ?? 150)
const MAX_KEYS = Number(args.get('max-keys') ?? 1_000_000)
// Servers read it at start: `--usage off` turns usage counting off in every bench server.
if (args.get('usage') === 'off') process.env.KEYWARD_BENCH_USAGE = 'off'
// `--rules on`: the bench key carries every access rule (bench/lib/bench-keyward.ts).
if (args.get('rules') === 'on') process.env.KEYWARD_BENCH_RULES = 'on'
const FRAMEWORKS: HttpFramework[] = listArg(args, 'frameworks', HTTP_FRAMEWORKS, HTTP_FRAMEWORKS)
const SKIP_MICRO = args.has('skip-micro')
const VARIANTS: Variant[] = ['bare', 'noop', 'keyward', 'alternative']
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const here = (file: string) => resolveFrom(import.meta.url, file)
cleanupOnSignal(async () => {})
/** The Bun binary of the npm platform package (as packages/runtimes finds it). */
const BUN = join(dirname(createRequire(import.meta.url).resolve('@oven/bun-linux-x64/package.json')), 'bin', 'bun')
const SOURCES = (process.env.NODE_OPTIONS ?? '').includes('@keyward/source')

interface Server {
  child: ChildProcess
  port: number
  key: string
}

async function start(framework: HttpFramework, variant: Variant): Promise<Server> {
  const name = `${framework}/${variant} server`
  // Bun loads TypeScript itself. It runs the same Keyward as the Node servers: the built packages
  // (`pnpm bench:http` builds first), or the sources when NODE_OPTIONS asks the Node children for them.
  const { process: child, ready } =
    framework === 'bun'
      ? await forkTs<{ port: number; key: string }>(name, here('bun-server.ts'), [variant], {
          execPath: BUN,
          execArgv: SOURCES ? ['--conditions=@keyward/source'] : [],
          env: { ...process.env, NODE_OPTIONS: '' },
        })
      : await forkTs<{ port: number; key: string }>(name, here('server.ts'), [framework, variant])
  return { child, port: ready.port, key: ready.key }
}

function stats(server: Server): Promise<{ cpuMicros: number; handled: number }> {
  return ask(server.child, { type: 'stats' })
}

async function load(server: Server, seconds: number) {
  const before = await stats(server)
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}/json`,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${server.key}` },
  })
  const after = await stats(server)
  const handled = after.handled - before.handled
  if (result.non2xx > 0 || handled === 0) throw new Error(`${server.port}: ${result.non2xx} non-2xx responses`)
  return { rps: result.requests.average, p99: result.latency.p99, cpuPerRequest: (after.cpuMicros - before.cpuMicros) / handled }
}

type Sample = { rps: number; p99: number; cpuPerRequest: number }
const servers = new Map<string, Server>()
for (const framework of FRAMEWORKS) for (const variant of VARIANTS) servers.set(`${framework}/${variant}`, await start(framework, variant))
const samples = new Map<string, Sample[]>()
try {
  for (const server of servers.values()) await load(server, 1) // warm-up (JIT, caches)
  for (let round = 0; round < ROUNDS; round++) {
    for (const framework of FRAMEWORKS) {
      // Rotate the order each round so no variant always runs first or last.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!)
      for (const variant of order) {
        const id = `${framework}/${variant}`
        const sample = await load(servers.get(id)!, DURATION)
        samples.set(id, [...(samples.get(id) ?? []), sample])
      }
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`)
  }
} finally {
  await stopAllChildren()
}

// micro.ts sends its results as its one message; it may run for many minutes with 1M keys.
type Micro = { alone: Record<string, number>; scale: { keys: number; keyward: number; bearer: number | null }[] }
let micro: Micro | undefined
if (!SKIP_MICRO) {
  const microChild = await forkTs<Micro>('micro', here('micro.ts'), [String(MICRO_MS), String(ROUNDS), String(MAX_KEYS)], {
    execArgv: ['--max-old-space-size=8192'],
    readyTimeoutMs: 60 * 60_000,
  })
  await stopChild(microChild.process)
  micro = microChild.ready
}

const f = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const out: string[] = []
out.push(
  `Node ${process.version}${FRAMEWORKS.includes('bun') ? `, Bun ${execFileSync(BUN, ['--version']).toString().trim()}` : ''}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${os.platform()}. ${ROUNDS} interleaved rounds of ${DURATION} s per server, ` +
    `autocannon ${CONNECTIONS} connections on 127.0.0.1, every request \`Authorization: Bearer <key>\`; medians of the rounds. ` +
    `CPU per request is the server process's own \`process.cpuUsage()\` delta divided by the requests its handler served.`,
  '',
  '| framework | variant | req/s | vs bare | p99 ms | server CPU µs/req | extra CPU µs/req |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
)
for (const framework of FRAMEWORKS) {
  const bare = samples.get(`${framework}/bare`)!
  for (const variant of VARIANTS) {
    const s = samples.get(`${framework}/${variant}`)!
    // Paired per round: this round's variant against this round's bare run.
    const ratio = median(s.map((x, i) => x.rps / bare[i]!.rps))
    const extra = median(s.map((x, i) => x.cpuPerRequest - bare[i]!.cpuPerRequest))
    const name =
      variant === 'alternative'
        ? ALTERNATIVE[framework]
        : variant === 'keyward'
          ? KEYWARD[framework]
          : variant === 'noop'
            ? 'no-op middleware (control)'
            : 'bare'
    out.push(
      `| ${framework} | ${name} | ${f(median(s.map((x) => x.rps)))} | ${variant === 'bare' ? '1.00' : f(ratio, 2)} | ${f(median(s.map((x) => x.p99)), 1)} | ${f(median(s.map((x) => x.cpuPerRequest)), 1)} | ${variant === 'bare' ? '—' : f(extra, 1)} |`,
    )
  }
}
if (micro) {
  out.push(
    '',
    `Each middleware alone, synthetic request, one key, already cached (median of ${ROUNDS} interleaved rounds of ${MICRO_MS} ms):`,
    '',
  )
  out.push('| middleware | µs per request |', '| --- | ---: |')
  for (const [name, ns] of Object.entries(micro.alone)) out.push(`| ${name} | ${f(ns / 1000, 2)} |`)
  out.push('', 'As the store grows (MemoryKeyStore; traffic over a hot set of up to 1,000 of the keys; Express middleware alone):', '')
  out.push('| keys in store | @keyward/express µs/req | @fastify/bearer-auth µs/req (same number of keys) |', '| ---: | ---: | ---: |')
  for (const row of micro.scale)
    out.push(`| ${f(row.keys)} | ${f(row.keyward / 1000, 2)} | ${row.bearer === null ? 'not run' : f(row.bearer / 1000, 2)} |`)
}
console.log(out.join('\n'))
