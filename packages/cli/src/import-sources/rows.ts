import type { ImportInput, SourceRow } from './types.js'
import { RowError } from './values.js'

/** What a reader makes of one row: the input, whether the key was switched off, how it starts. */
export type Mapped = { input: ImportInput; disabled?: boolean; start?: string | null }

/** One row of a source: what `build` maps it to, or the reason it cannot be mapped. */
export function sourceRow(row: number, secrets: unknown[], build: () => Mapped): SourceRow {
  const kept = secrets.filter((secret): secret is string => typeof secret === 'string' && secret.length >= 6)
  try {
    return { row, ...build(), secrets: kept }
  } catch (error) {
    if (!(error instanceof RowError)) throw error
    return { row, input: { error: error.message }, secrets: kept }
  }
}

/**
 * The source rows of `records`, in order, numbered from 1: `map` turns a record (and its number)
 * into a row. Reads one record at a time.
 */
export async function* numbered<T>(records: AsyncIterable<T>, map: (record: T, row: number) => SourceRow): AsyncGenerator<SourceRow> {
  let row = 0
  for await (const record of records) yield map(record, ++row)
}

/** The owner of a row: the `--owner-column` the user named, else the first of `defaults` present. */
export function ownerOf(row: Record<string, unknown>, ownerColumn: string | undefined, defaults: string[]): string | undefined {
  if (ownerColumn !== undefined) {
    if (!(ownerColumn in row)) throw new RowError(`no column "${ownerColumn}" (--owner-column)`)
    const value = row[ownerColumn]
    return value === null || value === undefined || value === '' ? undefined : String(value)
  }
  for (const name of defaults) if (row[name] !== null && row[name] !== undefined && row[name] !== '') return String(row[name])
  return undefined
}

/** A row with its field names folded (lowercase, no `_`), so `shortToken`, `short_token` and `shorttoken` are one. */
export function folded(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [fold(name), value]))
}

/** A field name folded as {@link folded} does. */
export function fold(name: string): string {
  return name.toLowerCase().replace(/_/g, '')
}
