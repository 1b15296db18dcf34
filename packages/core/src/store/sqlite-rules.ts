/**
 * The access-rule parts of a SQLite store (better-sqlite3, Cloudflare D1): the columns and tables
 * they add, owners' rows, the capped insert and the counter slots `incrementCounter` and `charge`
 * share. Shared by `@keyward/sqlite` and `@keyward/d1`. Statements bind anonymous `?` parameters.
 */
import type { Credits } from '../types.js'
import type { InsertCap, NamedRateLimit, OwnerRecord } from '../rules-types.js'
import { KEY_COLUMNS, type KeyRow } from './sqlite-rows.js'

const q = (name: string): string => `"${name}"`

/**
 * The statements that add the access-rule columns and tables to keys table `t`: the record fields
 * `rate_limits`, `not_before`, `roles`, `allowed_ips`; the owners table; and `keep_until` on the
 * counters, so a window's counts outlive it by one window (sliding limits weigh the previous one).
 * Part of shipped migrations of both stores (sqlite 6, d1 5): never edit.
 */
export function rulesSchema(t: string): string[] {
  const c = q(`${t}_counters`)
  return [
    `ALTER TABLE ${q(t)} ADD COLUMN rate_limits TEXT`,
    `ALTER TABLE ${q(t)} ADD COLUMN not_before INTEGER`,
    `ALTER TABLE ${q(t)} ADD COLUMN roles TEXT NOT NULL DEFAULT '[]'`,
    `ALTER TABLE ${q(t)} ADD COLUMN allowed_ips TEXT`,
    `CREATE TABLE IF NOT EXISTS ${q(`${t}_owners`)} (id TEXT PRIMARY KEY NOT NULL, rate_limits TEXT NOT NULL, credits TEXT,
  max_keys INTEGER, scopes TEXT, allowed_ips TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, revision INTEGER NOT NULL)`,
    `ALTER TABLE ${c} ADD COLUMN keep_until INTEGER NOT NULL DEFAULT 0`,
    `UPDATE ${c} SET keep_until = reset_at`,
    `DROP INDEX IF EXISTS ${q(`${t}_counters_reset_idx`)}`,
    `CREATE INDEX IF NOT EXISTS ${q(`${t}_counters_keep_idx`)} ON ${c} (keep_until)`,
  ]
}

/**
 * Insert a record: binds {@link insertKeyValues}. With `capped`, inserts nothing (0 changes) when
 * the record's owner already has `cap.maxKeys` live keys, counted in the same statement.
 */
export function insertKeySql(t: string, capped: boolean): string {
  const values = KEY_COLUMNS.map(() => '?').join(', ')
  const into = `INSERT INTO ${q(t)} (${KEY_COLUMNS.join(', ')})`
  if (!capped) return `${into} VALUES (${values})`
  return `${into} SELECT ${values} WHERE (SELECT count(*) FROM ${q(t)}
  WHERE owner_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)) < ?`
}

/** The values of {@link insertKeySql}: the row's, then (capped) the owner, `cap.now` and `cap.maxKeys`. */
export function insertKeyValues(row: KeyRow, cap?: InsertCap): unknown[] {
  const values: unknown[] = KEY_COLUMNS.map((c) => row[c] ?? null)
  if (cap !== undefined) values.push(row.owner_id, cap.now, cap.maxKeys)
  return values
}

/** A row of the owners table as the driver returns it. */
export interface OwnerRow {
  id: string
  rate_limits: string
  credits: string | null
  max_keys: number | null
  scopes: string | null
  allowed_ips: string | null
  created_at: number
  updated_at: number
  revision: number
}

const OWNER_COLUMNS = ['id', 'rate_limits', 'credits', 'max_keys', 'scopes', 'allowed_ips', 'created_at', 'updated_at'] as const
const json = (v: unknown): string | null => (v === null ? null : JSON.stringify(v))
const parsed = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T))

export function rowToOwner(row: OwnerRow): OwnerRecord {
  return {
    id: row.id,
    rateLimits: JSON.parse(row.rate_limits) as NamedRateLimit[],
    credits: parsed<Credits>(row.credits),
    maxKeys: row.max_keys,
    scopes: parsed<string[]>(row.scopes),
    allowedIps: parsed<string[]>(row.allowed_ips),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    revision: row.revision,
  }
}

/** The statements of the owners of keys table `t`. */
export function ownerStatements(t: string) {
  const o = q(`${t}_owners`)
  const sets = OWNER_COLUMNS.filter((c) => c !== 'id' && c !== 'created_at').map((c) => `${c} = excluded.${c}`)
  return {
    /** Binds id. */
    get: `SELECT * FROM ${o} WHERE id = ?`,
    /** Binds {@link ownerValues}: creates the owner at revision 1, or replaces it (keeping `created_at`) at revision + 1. */
    put: `INSERT INTO ${o} (${OWNER_COLUMNS.join(', ')}, revision) VALUES (${OWNER_COLUMNS.map(() => '?').join(', ')}, 1)
ON CONFLICT (id) DO UPDATE SET ${sets.join(', ')}, revision = ${o}.revision + 1 RETURNING *`,
    /** Binds id: the owner's credits (JSON), for `charge`. */
    credits: `SELECT credits FROM ${o} WHERE id = ?`,
    /** Binds credits (JSON), id. Leaves `revision` alone. */
    setCredits: `UPDATE ${o} SET credits = ? WHERE id = ?`,
  }
}

/** The values {@link ownerStatements}' `put` binds, in order. */
export function ownerValues(owner: OwnerRecord): unknown[] {
  return [
    owner.id,
    JSON.stringify(owner.rateLimits),
    json(owner.credits),
    owner.maxKeys,
    json(owner.scopes),
    json(owner.allowedIps),
    owner.createdAt.getTime(),
    owner.updatedAt.getTime(),
  ]
}

/** The slot of counter `name` in the window of `windowMs` starting at `start`, as `incrementCounter` and `charge` name it. */
export const counterSlot = (name: string, windowMs: number, start: number): string => `${name}@${windowMs}:${start}`

/** The statements of the counters of keys table `t`. */
export function counterStatements(t: string) {
  const c = q(`${t}_counters`)
  return {
    /** Binds slot, amount, reset at, keep until (one window after reset); returns count, reset_at. */
    add: `INSERT INTO ${c} (slot, count, reset_at, keep_until) VALUES (?, ?, ?, ?)
ON CONFLICT (slot) DO UPDATE SET count = count + excluded.count RETURNING count, reset_at`,
    /** Binds slot: its count, or no row. */
    read: `SELECT count FROM ${c} WHERE slot = ?`,
    /** Binds now: forgets the slots no limit reads any more (one window after theirs ended). */
    sweep: `DELETE FROM ${c} WHERE keep_until <= ?`,
  }
}
