import type { Keyward } from '@keyward/core'
import { readBetterAuth } from './import-sources/better-auth.js'
import { readCsv } from './import-sources/csv.js'
import { readPrefixedApiKey } from './import-sources/prefixed-api-key.js'
import type { SourceReader, SourceRow } from './import-sources/types.js'
import { readUnkey } from './import-sources/unkey.js'
import { CliError, describeError, EXIT } from './errors.js'
import { CHUNK, checkRows, type CheckContext, type Plan, type Ready, scrub } from './import-check.js'
import { emptySummary, printSummary, type ImportSummary } from './import-summary.js'
import type { Io } from './io.js'
import { progressBar } from './progress.js'

export interface ImportFlags {
  from?: string | undefined
  'dry-run'?: boolean | undefined
  'owner-column'?: string | undefined
  json?: boolean | undefined
}

/** What `keyward import` works with. */
export interface ImportContext extends CheckContext {
  keyward: Keyward
  io: Io
  mutation: { actor: { id: string } }
}

const READERS: Record<string, SourceReader> = {
  'better-auth': readBetterAuth,
  unkey: readUnkey,
  'prefixed-api-key': readPrefixedApiKey,
  csv: readCsv,
}
const USAGE =
  'keyward import --from better-auth|unkey|prefixed-api-key|csv <source> [--dry-run] [--legacy-prefix <p>]... [--owner-column <name>]'
/** Fewer rows than this are imported without a progress bar. */
const PROGRESS_FROM = 200

/**
 * `keyward import`: reads another system's keys, tries every row on an in-memory instance first
 * (so a bad row means nothing is written), then reads the source again and imports the new ones,
 * disabling those the other system had switched off. Expired keys and keys imported before are
 * counted, not imported. Rows are read one at a time in both passes: only each row's number and id are kept between them.
 */
export async function runImport(positionals: string[], flags: ImportFlags, context: ImportContext): Promise<number> {
  const { keyward, io } = context
  const reader = flags.from === undefined ? undefined : READERS[flags.from]
  if (!reader || positionals.length !== 2) throw new CliError(`usage: ${USAGE}`)
  const source = await reader(positionals[1]!, { ownerColumn: flags['owner-column'], cwd: io.cwd })
  const json = flags.json === true
  const dryRun = flags['dry-run'] === true
  const summary = emptySummary(flags.from!, dryRun)
  const bar = (label: string, total: number | undefined) => progressBar(label, total, io.err, io.stderrIsTTY && !json, PROGRESS_FROM)
  const checking = bar('checking', undefined)
  let plan: Plan
  try {
    plan = await checkRows(declared(source.rows(), flags.from!, context.legacyPrefixes), context, summary, checking.tick)
  } finally {
    checking.done()
  }
  if (dryRun || summary.failed.length > 0) {
    const fresh = await notThere(plan, keyward, summary)
    summary.imported = fresh.length
    summary.disabled = fresh.filter((row) => row.disabled).length
    printSummary(summary, json, io)
    return summary.failed.length > 0 ? EXIT.usage : EXIT.ok
  }
  const writing = bar('importing', plan.size)
  let exitCode: number
  try {
    exitCode = await writeRows(source.rows(), plan, context, summary, writing.tick)
  } finally {
    writing.done()
  }
  printSummary(summary, json, io)
  return exitCode
}

/** `rows`, refused at the first digest when no legacy prefixes are declared (such keys could never verify). */
async function* declared(rows: AsyncIterable<SourceRow>, from: string, legacyPrefixes: readonly string[]): AsyncGenerator<SourceRow> {
  for await (const row of rows) {
    if (legacyPrefixes.length === 0 && 'digest' in row.input)
      throw new CliError(
        `${from} keys are stored as digests, which verify only with the prefixes those keys start with declared: pass --legacy-prefix <prefix> (or add "legacy": { "prefixes": [...] } to keyward.config.json, which your servers' createKeyward({ legacy }) must match). Nothing was imported.`,
      )
    yield row
  }
}

/** The planned keys not in the store yet; the others are counted as already there. */
async function notThere(plan: Plan, keyward: Keyward, summary: ImportSummary): Promise<{ disabled: boolean }[]> {
  const fresh: { disabled: boolean }[] = []
  for (const planned of plan.values())
    if ((await keyward.get(planned.id)) === null) fresh.push(planned)
    else summary.alreadyThere++
  return fresh
}

/**
 * The write pass: reads the source again and imports the planned rows with `importMany`, a chunk
 * (one transaction) at a time, then disables the new keys the other system had switched off. Keys
 * imported before are counted as already there. A store failure stops at the chunk's first row (the
 * chunks before it are written): the exit code.
 */
async function writeRows(
  rows: AsyncIterable<SourceRow>,
  plan: Plan,
  context: ImportContext,
  summary: ImportSummary,
  tick: (done: number) => void,
): Promise<number> {
  let chunk: Ready[] = []
  let done = 0
  for await (const row of rows) {
    const planned = plan.get(row.row)
    if (planned === undefined) continue
    if ('error' in row.input) {
      // A file is found unchanged before it is read again; a database may have changed in between.
      summary.failed.push({ row: row.row, message: 'the source changed after it was checked; run the import again' })
      summary.stoppedAt = row.row
      return EXIT.usage
    }
    chunk.push({ row: row as Ready['row'], id: planned.id })
    if (chunk.length < CHUNK) continue
    const exitCode = await writeChunk(chunk, context, summary)
    if (exitCode !== EXIT.ok) return exitCode
    tick((done += chunk.length))
    chunk = []
  }
  return chunk.length > 0 ? await writeChunk(chunk, context, summary) : EXIT.ok
}

/** One `importMany` call, then the disabling; a failure is counted in `summary` and stops the import: the exit code. */
async function writeChunk(chunk: Ready[], context: ImportContext, summary: ImportSummary): Promise<number> {
  const { keyward, mutation } = context
  try {
    const result = await keyward.importMany(
      chunk.map((r) => r.row.input),
      mutation,
    )
    summary.imported += result.imported.length
    summary.alreadyThere += result.duplicates.length
    const imported = new Set(result.imported.map((info) => info.id))
    for (const { row, id } of chunk)
      if (row.disabled && imported.has(id)) {
        await keyward.disable(id, mutation)
        summary.disabled++
      }
    // Checked on an instance configured alike, so a refusal here is one the check could not foresee.
    if (result.failed.length > 0) {
      for (const { index, error } of result.failed)
        summary.failed.push({ row: chunk[index]!.row.row, message: scrub(error.message, chunk[index]!.row.secrets) })
      summary.stoppedAt = chunk[result.failed[0]!.index]!.row.row
      return EXIT.usage
    }
    // A row whose key is not the one checked: the source (a database) changed between the passes.
    const written = new Set([...imported, ...result.duplicates])
    const moved = chunk.find((r) => !written.has(r.id))
    if (moved) {
      summary.failed.push({ row: moved.row.row, message: 'the source changed after it was checked; run the import again' })
      summary.stoppedAt = moved.row.row
      return EXIT.usage
    }
    return EXIT.ok
  } catch (error) {
    const described = describeError(error)
    const first = chunk[0]!.row.row
    summary.failed.push({
      row: first,
      message: scrub(
        described.message,
        chunk.flatMap((r) => r.row.secrets),
      ),
    })
    summary.stoppedAt = first
    return described.exitCode
  }
}
