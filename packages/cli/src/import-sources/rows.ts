import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { CliError } from '../errors.js'
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

/** The text of an export file (relative to `cwd`); an error names the file and the failure code, never the content. */
export function readSource(path: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, path), 'utf8')
  } catch (error) {
    throw new CliError(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
}

/**
 * The objects of a JSON export: a JSON array, an object holding one (`{ "keys": [...] }`, `{ "data": [...] }`),
 * or JSON lines (one object a line).
 */
export function parseJsonObjects(text: string, path: string): Record<string, unknown>[] {
  const trimmed = text.replace(/^\uFEFF/, '').trim()
  let items: unknown[]
  try {
    const whole: unknown = JSON.parse(trimmed)
    items = Array.isArray(whole) ? whole : listIn(whole)
  } catch {
    items = trimmed
      .split('\n')
      .flatMap((line, i) => (line.trim() === '' ? [] : [parseJson(line, `${path} line ${i + 1} is not valid JSON`)]))
  }
  if (!items.every((item) => item !== null && typeof item === 'object' && !Array.isArray(item)))
    throw new CliError(`${path} must hold JSON objects, one per key`)
  return items as Record<string, unknown>[]
}

function listIn(value: unknown): unknown[] {
  const record = value as Record<string, unknown> | null
  const list = record?.keys ?? record?.data
  return Array.isArray(list) ? list : [value]
}

function parseJson(text: string, message: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    // JSON.parse's message quotes the input, which may hold a digest.
    throw new CliError(message)
  }
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
