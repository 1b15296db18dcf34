import type { OwnerRecord, WriteOptions } from '@keyward/core/store'
import type { Run } from './analytics.js'
import type { Audited } from './insert.js'
import { qualified, type PgNames } from './names.js'
import { statementName, type Statement } from './statements.js'

/** A row of the owners table as `pg` returns it. */
interface OwnerRow {
  id: string
  rate_limits: OwnerRecord['rateLimits']
  credits: OwnerRecord['credits']
  max_keys: number | null
  scopes: string[] | null
  allowed_ips: string[] | null
  created_at: Date
  updated_at: Date
  revision: number
}

const named = (text: string): Statement => ({ name: statementName(text), text })
const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v))

/**
 * `getOwner` and `putOwner` over the `_owners` table (migration 6). A put is one upsert, with its
 * audit entry in the same statement; the table's trigger publishes `owner:<id>`.
 */
export class PgOwners {
  readonly #run: Run
  readonly #audited: Audited
  readonly #get: Statement
  readonly #put: Statement
  readonly #putReturning: Statement

  constructor(names: PgNames, run: Run, audited: Audited) {
    const o = qualified(names, '_owners')
    this.#run = run
    this.#audited = audited
    this.#get = named(`SELECT * FROM ${o} WHERE id = $1`)
    // The stored createdAt is kept; revision counts every put.
    this.#put = named(
      `INSERT INTO ${o} AS o (id, rate_limits, credits, max_keys, scopes, allowed_ips, created_at, updated_at, revision)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)
       ON CONFLICT (id) DO UPDATE SET rate_limits = excluded.rate_limits, credits = excluded.credits, max_keys = excluded.max_keys,
         scopes = excluded.scopes, allowed_ips = excluded.allowed_ips, updated_at = excluded.updated_at, revision = o.revision + 1`,
    )
    this.#putReturning = named(`${this.#put.text} RETURNING *`)
  }

  async get(id: string): Promise<OwnerRecord | null> {
    const { rows } = await this.#run<OwnerRow>('getOwner', this.#get, [id])
    return rows[0] === undefined ? null : ownerFromRow(rows[0])
  }

  async put(owner: OwnerRecord, options?: WriteOptions): Promise<OwnerRecord> {
    const values: unknown[] = [
      owner.id,
      JSON.stringify(owner.rateLimits),
      json(owner.credits),
      owner.maxKeys,
      json(owner.scopes),
      json(owner.allowedIps),
      owner.createdAt,
      owner.updatedAt,
    ]
    const statement = options?.audit === undefined ? this.#putReturning : this.#audited(this.#put, values, options, ' RETURNING *')
    const { rows } = await this.#run<OwnerRow>('putOwner', statement, values)
    return ownerFromRow(rows[0]!)
  }
}

function ownerFromRow(row: OwnerRow): OwnerRecord {
  return {
    id: row.id,
    rateLimits: row.rate_limits,
    credits: row.credits,
    maxKeys: row.max_keys,
    scopes: row.scopes,
    allowedIps: row.allowed_ips,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revision: row.revision,
  }
}
