import type { Io } from './io.js'

/** Why a row was not imported without being at fault. */
type SkipReason = 'expired' | 'duplicate_in_source'

/** What an import did (or, on a dry run, would do), row by row counted. */
export interface ImportSummary {
  from: string
  dryRun: boolean
  /** Rows read from the source. */
  rows: number
  /** Keys written (dry run: that would be). */
  imported: number
  /** Of those, disabled as the other system had them. */
  disabled: number
  /** Keys an earlier import brought over already. */
  alreadyThere: number
  skipped: Record<SkipReason, number>
  /** Rows at fault, with why (never quoting a key or a digest). */
  failed: { row: number; message: string }[]
  /** Set when the store failed part-way: the rows after this one were not written. */
  stoppedAt?: number
}

const LABELS: Record<SkipReason, string> = { expired: 'expired', duplicate_in_source: 'the same key earlier in the source' }
/** Failed rows listed one by one in text output; `--json` lists them all. */
const LISTED = 20

export function emptySummary(from: string, dryRun: boolean): ImportSummary {
  return { from, dryRun, rows: 0, imported: 0, disabled: 0, alreadyThere: 0, skipped: { expired: 0, duplicate_in_source: 0 }, failed: [] }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** The summary on stdout: one JSON object with `--json`, else a few lines. */
export function printSummary(summary: ImportSummary, json: boolean, io: Io): void {
  if (json) {
    io.out(`${JSON.stringify(summary)}\n`)
    return
  }
  const refused = summary.failed.length > 0 && summary.stoppedAt === undefined
  const verb = summary.dryRun ? 'Would import' : refused ? 'Nothing imported: would have imported' : 'Imported'
  const disabled = summary.disabled > 0 ? ` (${summary.disabled} disabled, as in the source)` : ''
  const lines = [`${verb} ${plural(summary.imported, 'key')} of ${plural(summary.rows, 'row')} from ${summary.from}${disabled}.`]
  if (summary.alreadyThere > 0) lines.push(`Already there: ${plural(summary.alreadyThere, 'key')} (imported before).`)
  for (const [reason, n] of Object.entries(summary.skipped)) if (n > 0) lines.push(`Skipped: ${n} (${LABELS[reason as SkipReason]}).`)
  if (summary.failed.length > 0) {
    lines.push(`Failed: ${plural(summary.failed.length, 'row')}${refused && !summary.dryRun ? '; fix them and run again' : ''}:`)
    for (const { row, message } of summary.failed.slice(0, LISTED)) lines.push(`  row ${row}: ${message}`)
    if (summary.failed.length > LISTED) lines.push(`  … and ${summary.failed.length - LISTED} more (--json lists them all)`)
  }
  if (summary.stoppedAt !== undefined) lines.push(`Stopped at row ${summary.stoppedAt}: run the same command again to import the rest.`)
  if (summary.dryRun) lines.push('Dry run: nothing was written.')
  io.out(`${lines.join('\n')}\n`)
}
