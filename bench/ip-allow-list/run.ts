/**
 * The cost of an IP allow-list on the verify path (issue 16's target: a key with 1,000 ranges
 * verifies within 1 µs of one without). Times `allows(source)` for a list of 1,000 random CIDR
 * ranges, a list of one entry, and no list (the verifier's `list === undefined` check), over a
 * rotating set of IPv4, IPv4-mapped and IPv6 sources, half of them inside the 1,000-range list.
 * Rounds are interleaved, timed in process CPU time (not wall time, which counts the time other
 * processes held the core), and medians reported, as this machine is shared and noisy.
 * Usage: tsx bench/ip-allow-list/run.ts [--rounds 15 --ms 200]
 */
import { type AllowList, compileAllowList } from '../../packages/core/src/ip/index.js'
import { numberArg, parseArgs } from '../lib/args.js'

const args = parseArgs()
const ROUNDS = numberArg(args, 'rounds', 15, 1, 1000)
const ROUND_MS = numberArg(args, 'ms', 200, 10, 10_000)
const BATCH = 1024

/** A deterministic generator, so every run times the same lists. */
let seed = 0x9e3779b9
const random32 = () => {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return seed >>> 0
}
const v4 = (value: number) => [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.')
const v6 = () => Array.from({ length: 8 }, () => (random32() & 0xffff).toString(16)).join(':')

const entries = Array.from({ length: 1000 }, (_, i) =>
  i % 2 === 0 ? `${v4(random32())}/${8 + (random32() % 25)}` : `${v6()}/${16 + (random32() % 113)}`,
)
const insideV4 = entries.filter((entry) => !entry.includes(':')).map((entry) => entry.split('/')[0]!)
const sources = Array.from({ length: 256 }, (_, i) => {
  if (i % 4 === 0) return insideV4[i % insideV4.length]!
  if (i % 4 === 1) return `::ffff:${insideV4[i % insideV4.length]!}`
  if (i % 4 === 2) return v4(random32())
  return v6()
})

const thousand = compileAllowList(entries)
const one = compileAllowList(['203.0.113.0/24'])
const none: AllowList | undefined = undefined as AllowList | undefined

const candidates: Record<string, (source: string) => boolean> = {
  'no list': (source) => none === undefined || none.allows(source),
  '1 entry': (source) => one.allows(source),
  '1,000 ranges': (source) => thousand.allows(source),
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const samples: Record<string, number[]> = {}
let allowed = 0
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, allows] of Object.entries(candidates)) {
    let calls = 0
    const end = performance.now() + ROUND_MS
    const cpu = process.cpuUsage()
    while (performance.now() < end) {
      for (let j = 0; j < BATCH; j++) if (allows(sources[(calls + j) & 255]!)) allowed++
      calls += BATCH
    }
    const used = process.cpuUsage(cpu)
    ;(samples[name] ??= []).push(((used.user + used.system) * 1e3) / calls)
  }
}

const base = median(samples['no list']!)
console.log(
  `allows() per call in CPU time, median of ${ROUNDS} interleaved rounds of ${ROUND_MS} ms (${thousand.intervals} intervals after merging)`,
)
for (const [name, xs] of Object.entries(samples)) {
  const ns = median(xs)
  console.log(`${name.padEnd(14)} ${ns.toFixed(1).padStart(7)} ns   +${(ns - base).toFixed(1)} ns over no list`)
}
console.log(`(${allowed} sources allowed in all; target: 1,000 ranges within 1,000 ns of no list)`)
