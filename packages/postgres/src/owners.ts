import { sqliteOwnerValues, sqliteRowToOwner, type OwnerRecord, type SqliteOwnerRow, type WriteOptions } from '@keyward/core/store'
import type { Run } from './analytics.js'
import type { Audited } from './insert.js'
import { qualified, type PgNames } from './names.js'
import { statementName, type Statement } from './statements.js'

const named = (text: string): Statement => ({ name: statementName(text), text })

/**
 * Rows are read and written in the SQLite stores' shapes (times in epoch milliseconds, JSON as text),
 * so the owner codecs of `@keyward/core/store` (`sqliteOwnerValues`, `sqliteRowToOwner`) serve both.
 */
const ROW = `id, rate_limits::text AS rate_limits, credits::text AS credits, max_keys, scopes::text AS scopes,
  allowed_ips::text AS allowed_ips, (extract(epoch FROM created_at) * 1000)::float8 AS created_at,
  (extract(epoch FROM updated_at) * 1000)::float8 AS updated_at, revision`

/**
 * `getOwner` and `putOwner` over the `_owners` table (migration 6). A put is one upsert, with its
 * audit entry in the same statement; the table's trigger publishes `owner:<id>`.
 */
export class PgOwners {
  readonly #run: Run
  readonly #read: Run
  readonly #audited: Audited
  readonly #get: Statement
  readonly #put: Statement
  readonly #putReturning: Statement

  /** `read` runs `get` (a read a replica may answer), `run` everything else. */
  constructor(names: PgNames, run: Run, audited: Audited, read: Run = run) {
    const o = qualified(names, '_owners')
    this.#run = run
    this.#read = read
    this.#audited = audited
    this.#get = named(`SELECT ${ROW} FROM ${o} WHERE id = $1`)
    // The stored createdAt is kept; revision counts every put.
    this.#put = named(
      `INSERT INTO ${o} AS o (id, rate_limits, credits, max_keys, scopes, allowed_ips, created_at, updated_at, revision)
       VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::float8 / 1000), to_timestamp($8::float8 / 1000), 1)
       ON CONFLICT (id) DO UPDATE SET rate_limits = excluded.rate_limits, credits = excluded.credits, max_keys = excluded.max_keys,
         scopes = excluded.scopes, allowed_ips = excluded.allowed_ips, updated_at = excluded.updated_at, revision = o.revision + 1`,
    )
    this.#putReturning = named(`${this.#put.text} RETURNING ${ROW}`)
  }

  async get(id: string): Promise<OwnerRecord | null> {
    const { rows } = await this.#read<SqliteOwnerRow>('getOwner', this.#get, [id])
    return rows[0] === undefined ? null : sqliteRowToOwner(rows[0])
  }

  async put(owner: OwnerRecord, options?: WriteOptions): Promise<OwnerRecord> {
    const values = sqliteOwnerValues(owner)
    const statement = options?.audit === undefined ? this.#putReturning : this.#audited(this.#put, values, options, ` RETURNING ${ROW}`)
    const { rows } = await this.#run<SqliteOwnerRow>('putOwner', statement, values)
    return sqliteRowToOwner(rows[0]!)
  }
}
