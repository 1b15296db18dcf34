import {
  DuplicateKeyIdError,
  LimitExceededError,
  sqliteInsertManyResult as insertManyResult,
  type ApiKeyRecord,
  type AuditRecord,
  type InsertCap,
  type WriteOptions,
} from '@keyward/core/store'
import { AUDIT_COLUMNS, auditValues } from './analytics-rows.js'
import type { Run } from './analytics.js'
import type { PgNames } from './names.js'
import { INSERT_COLUMNS, insertValues } from './rows.js'
import type { Statement, Statements } from './statements.js'

/** Wraps a change with its audit entry in one statement (the store's), appending the entry's values. */
export type Audited = (change: Statement, values: unknown[], options: WriteOptions | undefined, returning: string) => Statement

const SCOPES = INSERT_COLUMNS.indexOf('scopes')

/** Column arrays of `rows` (values in column order), for `unnest`. */
const columns = (rows: unknown[][], count: number): unknown[][] => Array.from({ length: count }, (_, c) => rows.map((row) => row[c]))

/**
 * `KeyStore.insert` and `insertMany` on PostgreSQL: one statement, with its audit entry. With a cap, the owner's
 * live keys are counted by `_live_keys` (migration 6) under the owner's transaction-scoped lock in
 * the same statement, so concurrent capped inserts of one owner, on any connection, pass one at a time.
 */
export class PgInsert {
  readonly #run: Run
  readonly #audited: Audited
  readonly #s: Statements
  readonly #auditKey: string

  constructor(names: PgNames, run: Run, audited: Audited, statements: Statements) {
    this.#run = run
    this.#audited = audited
    this.#s = statements
    this.#auditKey = `${names.table}_audit_pkey`
  }

  async insert(record: ApiKeyRecord, options?: WriteOptions & { cap?: InsertCap }): Promise<void> {
    const values = insertValues(record)
    const cap = record.ownerId === null ? undefined : options?.cap
    if (cap !== undefined) values.push(cap.maxKeys, new Date(cap.now))
    const statement = this.#audited(cap === undefined ? this.#s.insert : this.#s.insertCapped, values, options, ' RETURNING id')
    let inserted: number | null
    try {
      inserted = (await this.#run('insert', statement, values)).rowCount
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown; constraint?: unknown } }).cause
      if (cause?.code === '23505' && cause.constraint !== this.#auditKey) throw new DuplicateKeyIdError(record.id)
      throw error
    }
    if (cap !== undefined && inserted === 0) throw new LimitExceededError(record.ownerId!, cap.maxKeys)
  }

  /**
   * Insert the records whose ids are new and the audit entries of those, in one statement (so one
   * transaction): `INSERT … SELECT … FROM unnest(…) ON CONFLICT (id) DO NOTHING RETURNING id`.
   */
  async insertMany(records: readonly ApiKeyRecord[], audit: readonly AuditRecord[] | undefined) {
    if (records.length === 0) return { inserted: [], duplicates: [] }
    // Each row's scopes (a text[]) cross as JSON: an array of arrays would be one two-dimensional array.
    const rows = records.map((r) => insertValues(r).map((v, c) => (c === SCOPES ? JSON.stringify(v) : v)))
    const values = [...columns(rows, INSERT_COLUMNS.length), ...columns((audit ?? []).map(auditValues), AUDIT_COLUMNS.length)]
    const { rows: ids } = await this.#run<{ id: string }>('insertMany', this.#s.insertMany, values)
    const fresh = new Set(ids.map((row) => row.id))
    // `delete` is true once per inserted id: a repeat of it later in `records` existed by then.
    return insertManyResult(
      records,
      records.map((r) => fresh.delete(r.id)),
    )
  }
}
