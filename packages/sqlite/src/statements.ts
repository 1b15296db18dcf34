import type Database from 'better-sqlite3'
import {
  spendFromCredits,
  sqliteTouchSql,
  sqliteTouchValues,
  type Credits,
  type CreditSpend,
  type LastUsedEntry,
} from '@keyward/core/store'
import { q } from './migrations.js'

type Db = Database.Database
type Statement = Database.Statement

/** The statements of `SqliteKeyStore`. */
export interface SqliteStatements {
  insert: Statement
  findById: Statement
  delete: Statement
  /** The list query for one combination of filters. */
  list: (byOwner: boolean, byPrefix: boolean, includeRevoked: boolean, after: boolean) => Statement
  touchMany: Database.Transaction<(entries: LastUsedEntry[]) => void>
  increment: Statement
  sweepCounters: Statement
  spend: Database.Transaction<(id: string, cost: number, now: number) => CreditSpend | null>
  maxSeq: Statement
  changesSince: Statement
}

/** The statements of `SqliteKeyStore` on keys table `table`: prepared once, the list variants on first use. */
export function prepareStatements(db: Db, table: string): SqliteStatements {
  const t = q(table)
  const columns =
    'id, prefix, digest, algorithm, pepper_id, hint, name, owner_id, scopes, metadata, created_at, updated_at, expires_at, disabled_at, revoked_at, last_used_at, last_used_from, rotated_from_id, rotated_to_id, rate_limit, credits, revision'
  const lists = new Map<string, Statement>()
  /** The list query for one combination of filters, prepared on first use. */
  const list = (byOwner: boolean, byPrefix: boolean, includeRevoked: boolean, after: boolean): Statement => {
    const variant = `${byOwner}${byPrefix}${includeRevoked}${after}`
    let statement = lists.get(variant)
    if (statement === undefined) {
      const where = [
        byOwner && 'owner_id = @ownerId',
        byPrefix && 'prefix = @prefix',
        !includeRevoked && 'revoked_at IS NULL',
        after && '(created_at, id) < (@createdAt, @afterId)',
      ].filter(Boolean)
      statement = db.prepare(
        `SELECT * FROM ${t}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT @limit`,
      )
      lists.set(variant, statement)
    }
    return statement
  }
  const touch = db.prepare(sqliteTouchSql(table))
  const readCredits = db.prepare(`SELECT credits FROM ${t} WHERE id = ?`).pluck()
  const writeCredits = db.prepare(`UPDATE ${t} SET credits = ? WHERE id = ?`)
  return {
    insert: db.prepare(
      `INSERT INTO ${t} (${columns}) VALUES (${columns
        .split(', ')
        .map((c) => `@${c}`)
        .join(', ')})`,
    ),
    findById: db.prepare(`SELECT * FROM ${t} WHERE id = ?`),
    delete: db.prepare(`DELETE FROM ${t} WHERE id = ?`),
    list,
    touchMany: db.transaction((entries: LastUsedEntry[]) => {
      for (const entry of entries) touch.run(sqliteTouchValues(entry))
    }),
    increment: db.prepare(
      `INSERT INTO ${q(`${table}_counters`)} (slot, count, reset_at) VALUES (?, ?, ?)
       ON CONFLICT (slot) DO UPDATE SET count = count + excluded.count RETURNING count, reset_at`,
    ),
    sweepCounters: db.prepare(`DELETE FROM ${q(`${table}_counters`)} WHERE reset_at <= ?`),
    spend: db.transaction((id: string, cost: number, now: number): CreditSpend | null => {
      const stored = readCredits.get(id) as string | null | undefined
      if (stored === undefined || stored === null) return null
      const { credits, spend } = spendFromCredits(JSON.parse(stored) as Credits, cost, now)
      writeCredits.run(JSON.stringify(credits), id)
      return spend
    }),
    maxSeq: db.prepare(`SELECT COALESCE(MAX(seq), 0) AS seq FROM ${q(`${table}_changes`)}`),
    changesSince: db.prepare(`SELECT seq, key_id FROM ${q(`${table}_changes`)} WHERE seq > ? ORDER BY seq`),
  }
}
