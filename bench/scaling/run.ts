/**
 * `pnpm bench:scaling`: the figures SCALING.md's sizing model is built from. For each store on a
 * private server of this machine: the throughput and latency of every store operation a verify can
 * cause (cache-miss read, the charges of limited and credited keys, last-used and usage batches),
 * and the bytes each key takes (records and indexes, then the working state a used key adds).
 * Writes the `## Scaling inputs` section of BENCHMARKS.md.
 * Usage: pnpm bench:scaling [-- --keys 10000 --ms 3000 --samples 1000 --concurrency 32 --stores postgres,redis --no-write]
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { fmt, machine, publishReport } from '../lib/report.js'
import { measure, operations, prepareKeys, type OpFigure } from './ops.js'
import { INPUTS_FILE, type ScalingInputs } from './inputs.js'
import { TARGETS, type Target } from './targets.js'

const { values } = parseArgs({
  // pnpm passes the `--` before a script's own options through.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    keys: { type: 'string', default: '10000' },
    ms: { type: 'string', default: '3000' },
    samples: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '32' },
    stores: { type: 'string', default: Object.keys(TARGETS).join(',') },
    'no-write': { type: 'boolean', default: false },
  },
})
const KEYS = Number(values.keys)
const options = { concurrency: Number(values.concurrency), ms: Number(values.ms), samples: Number(values.samples) }

interface StoreFigures {
  label: string
  ops: OpFigure[]
  bytesPerKey: number
  workingBytesPerKey: number
}

async function benchTarget(target: Target): Promise<StoreFigures> {
  const opened = await target.open()
  try {
    const empty = await opened.bytes()
    const { ids, owners } = await prepareKeys(opened.store, KEYS)
    await opened.settle?.(ids)
    const created = await opened.bytes()
    // Every key used once, so each has its counters, credits, usage bucket and last-used time: the
    // working state (on PostgreSQL, with the dead row versions its updates leave until reused).
    for (const op of operations(opened.store, ids, owners)) for (let i = 0; i * op.perCall < ids.length; i++) await op.run(i)
    const used = await opened.bytes()
    const ops: OpFigure[] = []
    for (const op of operations(opened.store, ids, owners)) {
      const before = await opened.serverMicros?.()
      const figure = await measure(op, options)
      // Server time per unit over both phases (the throughput run and the sequential samples).
      const units = figure.units
      if (before !== undefined) figure.serverMicros = ((await opened.serverMicros!()) - before) / units
      ops.push(figure)
      console.error(`${target.label}: ${op.name} done`)
    }
    return { label: target.label, ops, bytesPerKey: (created - empty) / KEYS, workingBytesPerKey: Math.max(0, used - created) / KEYS }
  } finally {
    await opened.close()
  }
}

async function main(): Promise<void> {
  const results: StoreFigures[] = []
  for (const name of values.stores.split(',')) {
    const target = TARGETS[name]
    if (!target) throw new Error(`unknown store ${name}; known: ${Object.keys(TARGETS).join(', ')}`)
    results.push(await benchTarget(target))
  }
  const redis = results.find((r) => r.label === TARGETS.redis!.label)
  const postgres = results.find((r) => r.label === TARGETS.postgres!.label)
  if (redis && postgres && !values['no-write']) {
    const inputs: ScalingInputs = {
      date: new Date().toISOString().slice(0, 10),
      redis: {
        serverMicros: Object.fromEntries(redis.ops.map((op) => [op.name, op.serverMicros ?? Number.NaN])),
        bytesPerKey: redis.bytesPerKey,
        workingBytesPerKey: redis.workingBytesPerKey,
      },
      postgres: {
        perSec: Object.fromEntries(postgres.ops.map((op) => [op.name, op.perSec])),
        bytesPerKey: postgres.bytesPerKey,
        workingBytesPerKey: postgres.workingBytesPerKey,
      },
    }
    writeFileSync(INPUTS_FILE, `${JSON.stringify(inputs, null, 2)}\n`)
  }
  const names = results[0]?.ops.map((op) => op.name) ?? []
  const opTable = [
    `| operation | unit | ${results.map((r) => r.label).join(' | ')} |`,
    `| --- | --- | ${results.map(() => '---:').join(' | ')} |`,
    ...names.map((name, i) => {
      const cells = results.map((r) => {
        const f = r.ops[i]!
        const server = f.serverMicros === undefined ? '' : ` · server ${fmt(f.serverMicros, 1)} µs`
        return `${fmt(f.perSec)}/s · ${fmt(f.medianMs, 2)} ms (p99 ${fmt(f.p99Ms, 2)})${server}`
      })
      return `| ${name} | ${results[0]!.ops[i]!.unit} | ${cells.join(' | ')} |`
    }),
  ].join('\n')
  const bytesTable = [
    '| store | bytes per key (record + indexes) | bytes a used key adds (counter, credits, usage bucket, last used) |',
    '| --- | ---: | ---: |',
    ...results.map((r) => `| ${r.label} | ${fmt(r.bytesPerKey)} | ${fmt(r.workingBytesPerKey)} |`),
  ].join('\n')
  publishReport(
    'Scaling inputs',
    'bench:scaling',
    (
      command,
    ) => `Command: \`${command}\` (builds first). Run on ${new Date().toISOString().slice(0, 10)}, ${machine()}, every server on loopback on this
one machine (PostgreSQL with \`fsync=off\`, Redis without persistence), so a figure is what the store costs *here*, not on
dedicated hardware; SCALING.md turns them into a sizing model. ${fmt(KEYS)} keys created through \`keyward.create\` (a rate limit,
credits, an owner out of 100), then each operation run by ${options.concurrency} concurrent callers for ${options.ms / 1000} s (throughput, in
units per second: one verify's worth, or keys for the batched writes), then ${fmt(options.samples)} times one after another (median and p99
latency of one call). For Redis, *server* is the command time Redis itself spent per unit (\`INFO commandstats\` usec, summed over
nodes), the figure that bounds what one shard's thread can serve. The machine is shared and noisy: take ±30 %.

${opTable}

${bytesTable}
`,
    !values['no-write'],
  )
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.exitCode = 1
})
