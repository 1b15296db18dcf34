import { ConflictError, KeywardError, type Keyward } from '@keyward/core'
import type { ImportInput, SourceRow } from './import-sources/types.js'
import type { ImportSummary } from './import-summary.js'

/** Rows given to `importMany` at once (its limit). */
export const CHUNK = 1_000

/** A row that passed every check, and the id its key will have. */
export interface Ready {
  row: SourceRow & { input: ImportInput }
  id: string
}

/** What the check pass needs: how the keys must start, and fresh in-memory instances configured as the real one. */
export interface CheckContext {
  /** The legacy prefixes the instances were made with. */
  legacyPrefixes: readonly string[]
  /** A new instance, configured as the real one, over an empty in-memory store (the caller's to close). */
  sandbox: () => Keyward
}

/**
 * The check-first pass: every row is tried on an empty in-memory instance, a chunk at a time
 * (each chunk on a fresh one, then discarded), so nothing is written while any row is at fault.
 * Counts failed, expired and repeated rows in `summary`; resolves to the rows that can be imported.
 */
export async function checkRows(
  rows: SourceRow[],
  context: CheckContext,
  summary: ImportSummary,
  tick: (done: number) => void,
): Promise<Ready[]> {
  const seen = new Set<string>()
  const ready: Ready[] = []
  const fail = (row: SourceRow, message: string) => summary.failed.push({ row: row.row, message: scrub(message, row.secrets) })
  let chunk: Ready['row'][] = []
  const flush = async () => {
    const ids = await idsOf(chunk, context.sandbox)
    for (const [i, row] of chunk.entries()) {
      const id = ids[i] as string | KeywardError | null
      if (id instanceof KeywardError) fail(row, id.message)
      else if (id === null || seen.has(id)) summary.skipped.duplicate_in_source++
      else {
        seen.add(id)
        ready.push({ row, id })
      }
    }
    chunk = []
  }
  for (const [i, row] of rows.entries()) {
    const refusal = precheck(row, context.legacyPrefixes)
    if (refusal === 'expired') summary.skipped.expired++
    else if (refusal !== undefined) fail(row, refusal)
    else chunk.push(row as Ready['row'])
    if (chunk.length === CHUNK) await flush()
    tick(i + 1)
  }
  if (chunk.length > 0) await flush()
  summary.failed.sort((a, b) => a.row - b.row)
  return ready
}

/** Why `row` cannot be imported without trying it ('expired' is a skip, not a fault), or undefined. */
function precheck(row: SourceRow, legacyPrefixes: readonly string[]): string | undefined {
  const input = row.input
  if ('error' in input) return input.error
  const expiresAt = input.expiresAt instanceof Date ? input.expiresAt.getTime() : input.expiresAt
  if (typeof expiresAt === 'number' && expiresAt <= Date.now()) return 'expired'
  const start = row.start
  if (start && !legacyPrefixes.some((p) => start.startsWith(p) || p.startsWith(start)))
    return 'the key does not start with any declared legacy prefix (--legacy-prefix), so it could never verify here'
  return undefined
}

/**
 * Each row's id on a fresh in-memory instance, its refusal, or null for a key given earlier in
 * the chunk. One `importMany`; a chunk holding the same key twice is tried again row by row, since
 * the batch result does not say which row repeated which.
 */
async function idsOf(rows: Ready['row'][], sandbox: () => Keyward): Promise<(string | KeywardError | null)[]> {
  const batch = sandbox()
  try {
    const result = await batch.importMany(rows.map((row) => row.input))
    if (result.duplicates.length === 0) {
      const ids: (string | KeywardError | null)[] = new Array(rows.length)
      for (const { index, error } of result.failed) ids[index] = error
      let next = 0
      for (let i = 0; i < rows.length; i++) ids[i] ??= result.imported[next++]!.id
      return ids
    }
  } finally {
    await batch.close()
  }
  const single = sandbox()
  try {
    const ids: (string | KeywardError | null)[] = []
    for (const row of rows)
      try {
        ids.push((await single.import(row.input)).info.id)
      } catch (error) {
        if (!(error instanceof KeywardError)) throw error
        ids.push(error instanceof ConflictError ? null : error)
      }
    return ids
  } finally {
    await single.close()
  }
}

/** `message` with every secret of the rows taken out. */
export function scrub(message: string, secrets: readonly string[]): string {
  return secrets.reduce((text, secret) => text.split(secret).join('…'), message)
}
