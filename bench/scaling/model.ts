/**
 * `pnpm scaling:model`: SCALING.md's sizing model as a calculator. From a deployment's shape (keys,
 * verifications per second, instances, how many keys are active, routing, cache and flush settings)
 * it derives the store operations per second, and with the costs `pnpm bench:scaling` measured
 * (bench/scaling/inputs.json) the Redis server time and memory, per shard.
 * Usage: pnpm scaling:model [-- --keys 10000000 --rate 50000 --instances 20 --active 200000 --limited 1
 *   --ttl 30 --last-used 60 --flush 10 --routing random|sticky --shards 3]
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { INPUTS_FILE, type ScalingInputs } from './inputs.js'

const { values } = parseArgs({
  // pnpm passes the `--` before a script's own options through.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    keys: { type: 'string', default: '10000000' },
    rate: { type: 'string', default: '50000' },
    instances: { type: 'string', default: '20' },
    active: { type: 'string', default: '200000' },
    limited: { type: 'string', default: '1' },
    ttl: { type: 'string', default: '30' },
    'last-used': { type: 'string', default: '60' },
    flush: { type: 'string', default: '10' },
    routing: { type: 'string', default: 'random' },
    shards: { type: 'string', default: '3' },
  },
})

const num = (name: keyof typeof values) => Number(values[name])
const [keys, rate, instances, active, limited, ttl, lastUsed, flush, shards] = (
  ['keys', 'rate', 'instances', 'active', 'limited', 'ttl', 'last-used', 'flush', 'shards'] as const
).map(num) as [number, number, number, number, number, number, number, number, number]
const sticky = values.routing === 'sticky'

// A key's request rate at one instance, and how many instances see it.
const seenBy = sticky ? 1 : instances
const lambda = rate / (active * seenBy)
const missRatio = 1 / (1 + lambda * ttl)
const perInstanceKeys = active * (sticky ? 1 / instances : 1) * (1 - Math.exp(-lambda * ttl))
const reads = rate * missRatio
const charges = rate * limited
const touches = (seenBy * active * (1 - Math.exp(-lambda * lastUsed))) / lastUsed
const usage = Math.min(rate, (seenBy * active * (1 - Math.exp(-lambda * flush))) / flush)

const f = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const lines = [
  `deployment: ${f(keys)} keys, ${f(active)} active, ${f(rate)} verifies/s over ${instances} instances, routing ${sticky ? 'sticky by key' : 'random'}`,
  `settings: cache TTL ${ttl} s, last used every ${lastUsed} s, usage flushed every ${flush} s, ${f(limited * 100)} % of verifies limited or credited`,
  '',
  `λ (one key's requests/s at one instance)   ${f(lambda, 4)}`,
  `cache miss ratio 1/(1+λT)                   ${f(missRatio * 100, 1)} %`,
  `distinct keys per instance per TTL          ${f(perInstanceKeys)} (cache max must be above; about ${f((perInstanceKeys * 2.6) / 1000)} MB of heap at 2.6 KB each)`,
  `store reads (findById)/s                    ${f(reads)}`,
  `charges/s                                   ${f(charges)}`,
  `last-used entries/s                         ${f(touches)}`,
  `usage entries/s                             ${f(usage)}`,
]

let inputs: ScalingInputs | undefined
try {
  inputs = JSON.parse(readFileSync(INPUTS_FILE, 'utf8')) as ScalingInputs
} catch {
  lines.push('', `(no ${INPUTS_FILE}: run pnpm bench:scaling for the costs)`)
}
if (inputs) {
  const us = inputs.redis.serverMicros
  const redisCpu =
    (reads * us['findById (cache miss)']! +
      charges * us['charge: key limit']! +
      touches * us['touch (last used, batches of 100)']! +
      usage * us['addUsage (usage flush, batches of 100)']!) /
    1e6
  const memory = keys * inputs.redis.bytesPerKey + active * inputs.redis.workingBytesPerKey
  const pg = inputs.postgres.perSec
  const pgShare = (n: number, op: string) => n / pg[op]!
  const pgLoad =
    pgShare(reads, 'findById (cache miss)') +
    pgShare(charges, 'charge: key limit') +
    pgShare(touches, 'touch (last used, batches of 100)') +
    pgShare(usage, 'addUsage (usage flush, batches of 100)')
  lines.push(
    '',
    `costs from bench/scaling/inputs.json (pnpm bench:scaling, ${inputs.date})`,
    `Redis server time                           ${f(redisCpu, 2)} core-seconds per second in all, ${f((redisCpu / shards) * 100)} % of one shard's thread with ${shards} shards`,
    `Redis memory                                ${f(memory / 1e9, 1)} GB in all, ${f(memory / shards / 1e9, 1)} GB per shard (records and indexes, plus the active keys' working state)`,
    `PostgreSQL                                  ${f((keys * inputs.postgres.bytesPerKey) / 1e9, 1)} GB of tables and indexes; ${f(pgLoad, 1)} × what one server on the bench machine served`,
  )
}
console.log(lines.join('\n'))
