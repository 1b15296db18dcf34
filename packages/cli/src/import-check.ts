import type { Keyward } from '@keyward/core'
import type { ApiKeyRecord, KeyStore } from '@keyward/core/store'
import type { ImportInput, SourceRow } from './import-sources/types.js'
import type { ImportSummary } from './import-summary.js'

/** Rows given to `importMany` at once (its limit). */
export const CHUNK = 1_000

/** A row that passed every check, and the id its key will have. */
export interface Ready {
  row: SourceRow & { input: ImportInput }
  id: string
}

/**
 * What the check pass keeps for the write pass: by the number of each row to import, the id its key
 * will have and whether it is to be disabled (rows failed, expired or repeated are not in it). About
 * 150 bytes a row; the rows themselves are read from the source again.
 */
export type Plan = Map<number, { id: string; disabled: boolean }>

/** What the check pass needs: how the keys must start, and an instance configured as the real one over another store. */
export interface CheckContext {
  /** The legacy prefixes the instances were made with. */
  legacyPrefixes: readonly string[]
  /** The real store: the check's store has the same optional abilities, which decide what a key may have (limits, credits). */
  store: KeyStore
  /** An instance configured as the real one, over `store` (the check pass closes it). */
  sandbox: (store: KeyStore) => Keyward
}

/**
 * The check-first pass: every row is tried with `importMany` on an instance over a store that keeps
 * only ids, a chunk at a time, so nothing is written while any row is at fault. Counts the rows,
 * and the failed, expired and repeated ones, in `summary`; resolves to the rows that can be imported.
 */
export async function checkRows(
  rows: AsyncIterable<SourceRow>,
  context: CheckContext,
  summary: ImportSummary,
  tick: (done: number) => void,
): Promise<Plan> {
  const store = new IdsOnly(context.store)
  const sandbox = context.sandbox(store)
  const seen = new Set<string>()
  const plan: Plan = new Map()
  const fail = (row: SourceRow, message: string) => summary.failed.push({ row: row.row, message: scrub(message, row.secrets) })
  let chunk: Ready['row'][] = []
  const flush = async () => {
    const result = await sandbox.importMany(chunk.map((row) => row.input))
    const refused = new Map(result.failed.map(({ index, error }) => [index, error]))
    const ids = store.take()
    if (ids.length !== chunk.length - refused.size) throw new Error('importMany stored other records than the ones it accepted')
    let next = 0
    for (const [i, row] of chunk.entries()) {
      const error = refused.get(i)
      const id = error === undefined ? ids[next++]! : undefined
      if (id === undefined) fail(row, error!.message)
      else if (seen.has(id)) summary.skipped.duplicate_in_source++
      else {
        seen.add(id)
        plan.set(row.row, { id, disabled: row.disabled === true })
      }
    }
    chunk = []
  }
  try {
    for await (const row of rows) {
      summary.rows++
      const refusal = precheck(row, context.legacyPrefixes)
      if (refusal === 'expired') summary.skipped.expired++
      else if (refusal !== undefined) fail(row, refusal)
      else chunk.push(row as Ready['row'])
      if (chunk.length === CHUNK) await flush()
      tick(summary.rows)
    }
    if (chunk.length > 0) await flush()
  } finally {
    await sandbox.close()
  }
  summary.failed.sort((a, b) => a.row - b.row)
  return plan
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

/** What a store may do that decides whether a key's limits and credits are accepted. */
const ABILITIES = ['incrementCounter', 'spendCredits', 'charge'] as const

/**
 * The check pass's store: it keeps nothing but the ids of the records `importMany` accepted, in
 * order (the order of its inputs, refused ones left out), so each row's id is known; it has the real store's {@link ABILITIES}.
 */
class IdsOnly implements KeyStore {
  #ids: string[] = []
  incrementCounter?: KeyStore['incrementCounter']
  spendCredits?: KeyStore['spendCredits']
  charge?: KeyStore['charge']

  constructor(like: KeyStore) {
    const unused = () => Promise.reject(new Error('not used by the check pass'))
    for (const ability of ABILITIES) if (typeof like[ability] === 'function') this[ability] = unused
  }

  /** The ids given since the last call. */
  take(): string[] {
    const ids = this.#ids
    this.#ids = []
    return ids
  }

  async insertMany(records: ApiKeyRecord[]) {
    const ids = records.map((record) => record.id)
    this.#ids.push(...ids)
    return { inserted: ids, duplicates: [] }
  }

  async insert(record: ApiKeyRecord) {
    this.#ids.push(record.id)
  }

  async findById() {
    return null
  }

  async update() {
    return null
  }

  async delete() {
    return false
  }

  async list() {
    return { items: [] }
  }

  async touch() {}
}

/** `message` with every secret of the rows taken out. */
export function scrub(message: string, secrets: readonly string[]): string {
  return secrets.reduce((text, secret) => text.split(secret).join('…'), message)
}
