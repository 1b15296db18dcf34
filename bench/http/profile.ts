/**
 * `pnpm bench:http:profile`: where a framework's server spends its CPU with Keyward's middleware
 * and with a no-op middleware (the control), under the same autocannon load. Each variant's server
 * runs with `--cpu-prof`; the profile's samples are grouped by where the code lives (Keyward core,
 * the adapter, the framework, Node's HTTP internals, GC) and divided by the requests served, so the
 * two variants compare in µs per request, group by group. What Keyward adds shows in its own groups;
 * a difference elsewhere is cost the framework pays for something the middleware does.
 *
 * Usage: pnpm bench:http:profile [-- --framework express --seconds 8 --connections 16 --top 12]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Framework } from '../lib/apps.js'
import { ask, forkTs, resolveFrom, stopChild } from '../lib/children.js'
import { startLoad } from '../lib/load.js'

const argv = process.argv.slice(2).filter((arg) => arg !== '--')
const args = new Map<string, string>()
for (let i = 0; i < argv.length; i += 2) args.set(argv[i]!.replace(/^--/, ''), argv[i + 1]!)
const FRAMEWORK = (args.get('framework') ?? 'express') as Framework
const SECONDS = Number(args.get('seconds') ?? 8)
const CONNECTIONS = Number(args.get('connections') ?? 16)
const TOP = Number(args.get('top') ?? 12)

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
interface Profile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
}

/** Where a function's code lives. */
function groupOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame
  if (functionName === '(garbage collector)') return 'GC'
  if (functionName === '(idle)') return 'idle'
  if (functionName === '(program)' || functionName === '(root)') return 'engine'
  if (url.includes('/packages/core/')) return 'keyward core'
  if (/\/packages\/(express|koa|fastify)\//.test(url)) return 'keyward adapter'
  if (url.includes('@noble/hashes')) return 'keyward core'
  if (
    /node_modules\/(\.pnpm\/)?[^/]*(express|router|body-parser|koa|fastify|find-my-way|avvio|light-my-request|send|finalhandler|qs|accepts|type-is|proxy-addr|content-type|on-finished|parseurl|path-to-regexp)/.test(
      url,
    )
  )
    return FRAMEWORK
  if (url.startsWith('node:') || url === '') return 'node internals'
  return 'other'
}

async function profileVariant(variant: 'noop' | 'keyward', dir: string) {
  const server = await forkTs<{ port: number; key: string }>(
    `${FRAMEWORK}/${variant}`,
    resolveFrom(import.meta.url, './server.ts'),
    [FRAMEWORK, variant],
    {
      execArgv: ['--conditions=@keyward/source', '--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200'],
    },
  )
  const load = startLoad({ port: server.ready.port, keys: [server.ready.key], connections: CONNECTIONS, seconds: SECONDS })
  const result = await load.done
  const { handled } = await ask<{ handled: number }>(server.process, { type: 'stats' })
  server.process.send({ type: 'exit' })
  await new Promise((resolve) => server.process.once('exit', resolve))
  await stopChild(server.process)
  // tsx's loader runs in a worker thread that writes a profile of its own: the main thread's is the one serving HTTP.
  const profiles = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as Profile)
  for (const name of readdirSync(dir)) rmSync(join(dir, name))
  const profile = profiles.find((p) => p.nodes.some((node) => node.callFrame.url === 'node:_http_server'))!
  return { profile, handled, rps: result.requests.average }
}

/** µs per request by group, and the top functions by self time, from one profile. */
function summarise(profile: Profile, handled: number) {
  const intervalUs = (profile.endTime - profile.startTime) / profile.samples.length
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const groups = new Map<string, number>()
  const functions = new Map<string, number>()
  for (const id of profile.samples) {
    const frame = byId.get(id)!.callFrame
    const group = groupOf(frame)
    groups.set(group, (groups.get(group) ?? 0) + intervalUs)
    if (group === 'idle') continue
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?|packages\/)/, '')}:${frame.lineNumber + 1}`
    functions.set(name, (functions.get(name) ?? 0) + intervalUs)
  }
  const perRequest = (us: number) => us / handled
  return {
    groups: new Map([...groups].map(([group, us]) => [group, perRequest(us)])),
    top: [...functions]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([name, us]) => [name, perRequest(us)] as const),
  }
}

const dir = mkdtempSync(join(tmpdir(), 'keyward-profile-'))
try {
  const runs = { noop: await profileVariant('noop', dir), keyward: await profileVariant('keyward', dir) }
  const summaries = {
    noop: summarise(runs.noop.profile, runs.noop.handled),
    keyward: summarise(runs.keyward.profile, runs.keyward.handled),
  }
  const groups = [...new Set([...summaries.noop.groups.keys(), ...summaries.keyward.groups.keys()])].filter((g) => g !== 'idle').sort()
  console.log(`CPU profile, ${FRAMEWORK}, ${SECONDS} s per variant, ${CONNECTIONS} connections (Node ${process.version})\n`)
  console.log(`requests served: no-op ${runs.noop.handled.toLocaleString('en')}, keyward ${runs.keyward.handled.toLocaleString('en')}\n`)
  console.log('| where | no-op control µs/req | keyward µs/req | difference |\n| --- | ---: | ---: | ---: |')
  let total = { noop: 0, keyward: 0 }
  for (const group of groups) {
    const a = summaries.noop.groups.get(group) ?? 0
    const b = summaries.keyward.groups.get(group) ?? 0
    total = { noop: total.noop + a, keyward: total.keyward + b }
    console.log(`| ${group} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b - a >= 0 ? '+' : '') + (b - a).toFixed(2)} |`)
  }
  console.log(
    `| **all but idle** | ${total.noop.toFixed(2)} | ${total.keyward.toFixed(2)} | ${(total.keyward - total.noop >= 0 ? '+' : '') + (total.keyward - total.noop).toFixed(2)} |`,
  )
  for (const variant of ['noop', 'keyward'] as const) {
    console.log(`\nTop ${TOP} functions by self time, ${variant}:\n\n| function | µs/req |\n| --- | ---: |`)
    for (const [name, us] of summaries[variant].top) console.log(`| \`${name}\` | ${us.toFixed(2)} |`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
