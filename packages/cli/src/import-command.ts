import type { Keyward } from '@keyward/core'
import { readBetterAuth } from './import-sources/better-auth.js'
import { readCsv } from './import-sources/csv.js'
import { readPrefixedApiKey } from './import-sources/prefixed-api-key.js'
import type { SourceReader } from './import-sources/types.js'
import { readUnkey } from './import-sources/unkey.js'
import { CliError, describeError, EXIT } from './errors.js'
import { CHUNK, checkRows, type CheckContext, type Ready, scrub } from './import-check.js'
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
 * (so a bad row means nothing is written), then imports the new ones, disabling those the other
 * system had switched off. Expired keys and keys imported before are counted, not imported.
 */
export async function runImport(positionals: string[], flags: ImportFlags, context: ImportContext): Promise<number> {
  const { keyward, io } = context
  const reader = flags.from === undefined ? undefined : READERS[flags.from]
  if (!reader || positionals.length !== 2) throw new CliError(`usage: ${USAGE}`)
  const rows = await reader(positionals[1]!, { ownerColumn: flags['owner-column'], cwd: io.cwd })
  if (context.legacyPrefixes.length === 0 && rows.some((row) => 'digest' in row.input))
    throw new CliError(
      `${flags.from} keys are stored as digests, which verify only with the prefixes those keys start with declared: pass --legacy-prefix <prefix> (or add "legacy": { "prefixes": [...] } to keyward.config.json, which your servers' createKeyward({ legacy }) must match). Nothing was imported.`,
    )
  const json = flags.json === true
  const dryRun = flags['dry-run'] === true
  const summary = emptySummary(flags.from!, dryRun, rows.length)
  const bar = (label: string, total: number) => progressBar(label, total, io.err, io.stderrIsTTY && !json && total >= PROGRESS_FROM)
  const checking = bar('checking', rows.length)
  const ready = await checkRows(rows, context, summary, checking.tick)
  checking.done()
  if (dryRun || summary.failed.length > 0) {
    const fresh = await notThere(ready, keyward, summary)
    summary.imported = fresh.length
    summary.disabled = fresh.filter((r) => r.row.disabled).length
    printSummary(summary, json, io)
    return summary.failed.length > 0 ? EXIT.usage : EXIT.ok
  }
  const writing = bar('importing', ready.length)
  const exitCode = await writeRows(ready, context, summary, writing.tick)
  writing.done()
  printSummary(summary, json, io)
  return exitCode
}

/** The rows whose keys are not in the store yet; the others are counted as already there. */
async function notThere(ready: Ready[], keyward: Keyward, summary: ImportSummary): Promise<Ready[]> {
  const fresh: Ready[] = []
  for (const r of ready)
    if ((await keyward.get(r.id)) === null) fresh.push(r)
    else summary.alreadyThere++
  return fresh
}

/**
 * Import the checked rows with `importMany`, a chunk (one transaction) at a time, then disable the
 * new keys the other system had switched off. Keys imported before are counted as already there.
 * A store failure stops at the chunk's first row (the chunks before it are written): the exit code.
 */
async function writeRows(ready: Ready[], context: ImportContext, summary: ImportSummary, tick: (done: number) => void): Promise<number> {
  const { keyward, mutation } = context
  for (let start = 0; start < ready.length; start += CHUNK) {
    const chunk = ready.slice(start, start + CHUNK)
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
    tick(start + chunk.length)
  }
  return EXIT.ok
}
