import { ConflictError, KeywardError, type Keyward } from '@keyward/core'
import { readBetterAuth } from './import-sources/better-auth.js'
import { readCsv } from './import-sources/csv.js'
import { readPrefixedApiKey } from './import-sources/prefixed-api-key.js'
import type { ImportInput, SourceReader, SourceRow } from './import-sources/types.js'
import { readUnkey } from './import-sources/unkey.js'
import { CliError, describeError, EXIT } from './errors.js'
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
export interface ImportContext {
  keyward: Keyward
  /** A second instance, configured alike, over an empty in-memory store: every row is tried there first. */
  sandbox: Keyward
  /** The legacy prefixes the instances were made with. */
  legacyPrefixes: readonly string[]
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

/** A row that passed every check, and the id its key will have. */
interface Ready {
  row: SourceRow & { input: ImportInput }
  id: string
}

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
  const checking = progressBar('checking', rows.length, io.err, io.stderrIsTTY && !json && rows.length >= PROGRESS_FROM)
  const ready: Ready[] = []
  for (const [i, row] of rows.entries()) {
    const id = await check(row, context, summary)
    if (id !== undefined) ready.push({ row: row as Ready['row'], id })
    checking.tick(i + 1)
  }
  checking.done()
  if (dryRun || summary.failed.length > 0) {
    summary.imported = ready.length
    summary.disabled = ready.filter((r) => r.row.disabled).length
    printSummary(summary, json, io)
    return summary.failed.length > 0 ? EXIT.usage : EXIT.ok
  }
  const writing = progressBar('importing', ready.length, io.err, io.stderrIsTTY && !json && ready.length >= PROGRESS_FROM)
  let exitCode: number = EXIT.ok
  for (const [i, { row, id }] of ready.entries()) {
    try {
      await keyward.import(row.input, context.mutation)
      if (row.disabled) await keyward.disable(id, context.mutation)
      summary.imported++
      if (row.disabled) summary.disabled++
    } catch (error) {
      if (error instanceof ConflictError) summary.alreadyThere++
      else {
        const described = describeError(error)
        summary.failed.push({ row: row.row, message: scrub(described.message, row.secrets) })
        summary.stoppedAt = row.row
        exitCode = described.exitCode
        break
      }
    }
    writing.tick(i + 1)
  }
  writing.done()
  printSummary(summary, json, io)
  return exitCode
}

/**
 * Whether `row` can be imported: the id its key will have, or undefined after counting it as
 * failed, expired, repeated in the source or already in the store.
 */
async function check(row: SourceRow, context: ImportContext, summary: ImportSummary): Promise<string | undefined> {
  const fail = (message: string) => {
    summary.failed.push({ row: row.row, message: scrub(message, row.secrets) })
    return undefined
  }
  const input = row.input
  if ('error' in input) return fail(input.error)
  const expiresAt = input.expiresAt instanceof Date ? input.expiresAt.getTime() : input.expiresAt
  if (typeof expiresAt === 'number' && expiresAt <= Date.now()) {
    summary.skipped.expired++
    return undefined
  }
  if (row.start && !context.legacyPrefixes.some((p) => row.start!.startsWith(p) || p.startsWith(row.start!)))
    return fail('the key does not start with any declared legacy prefix (--legacy-prefix), so it could never verify here')
  let id: string
  try {
    id = (await context.sandbox.import(input)).info.id
  } catch (error) {
    if (error instanceof ConflictError) {
      summary.skipped.duplicate_in_source++
      return undefined
    }
    if (error instanceof KeywardError) return fail(error.message)
    throw error
  }
  if ((await context.keyward.get(id)) !== null) {
    summary.alreadyThere++
    return undefined
  }
  return id
}

/** `message` with every secret of the row taken out. */
function scrub(message: string, secrets: string[]): string {
  return secrets.reduce((text, secret) => text.split(secret).join('…'), message)
}
