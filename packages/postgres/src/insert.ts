import { DuplicateKeyIdError, LimitExceededError, type ApiKeyRecord, type InsertCap, type WriteOptions } from '@keyward/core/store'
import type { Run } from './analytics.js'
import type { PgNames } from './names.js'
import { insertValues } from './rows.js'
import type { Statement, Statements } from './statements.js'

/** Wraps a change with its audit entry in one statement (the store's), appending the entry's values. */
export type Audited = (change: Statement, values: unknown[], options: WriteOptions | undefined, returning: string) => Statement

/**
 * `KeyStore.insert` on PostgreSQL: one statement, with its audit entry. With a cap, the owner's
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
}
