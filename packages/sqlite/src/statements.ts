import type Database from 'better-sqlite3'
import {
  spendFromCredits,
  sqliteCounterStatements,
  sqliteInsertKeySql,
  sqliteInsertNewKeySql,
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
  /** Binds `sqliteInsertKeyValues` of a record. */
  insert: Statement
  /** The same with a cap on the owner's live keys: changes nothing when reached. */
  insertCapped: Statement
  /** The same, inserting nothing when the id exists: returns the id when it inserted. */
  insertNew: Statement
  findById: Statement
  delete: Statement
  /** The list query for one combination of filters. */
  list: (byOwner: boolean, byPrefix: boolean, includeRevoked: boolean, after: boolean) => Statement
  touchMany: Database.Transaction<(entries: LastUsedEntry[]) => void>
  /** Binds slot, amount, reset at, keep until. */
  increment: Statement
  /** Binds slot; plucks its count. */
  readCounter: Statement
  sweepCounters: Statement
  /** Binds id; plucks the key's credits (JSON). */
  readCredits: Statement
  /** Binds credits (JSON), id. */
  writeCredits: Statement
  spend: Database.Transaction<(id: string, cost: number, now: number) => CreditSpend | null>
  maxSeq: Statement
  changesSince: Statement
}

/** The statements of `SqliteKeyStore` on keys table `table`: prepared once, the list variants on first use. */
export function prepareStatements(db: Db, table: string): SqliteStatements {
  const t = q(table)
  const counters = sqliteCounterStatements(table)
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
    insert: db.prepare(sqliteInsertKeySql(table, false)),
    insertCapped: db.prepare(sqliteInsertKeySql(table, true)),
    insertNew: db.prepare(sqliteInsertNewKeySql(table)),
    findById: db.prepare(`SELECT * FROM ${t} WHERE id = ?`),
    delete: db.prepare(`DELETE FROM ${t} WHERE id = ?`),
    list,
    touchMany: db.transaction((entries: LastUsedEntry[]) => {
      for (const entry of entries) touch.run(sqliteTouchValues(entry))
    }),
    increment: db.prepare(counters.add),
    readCounter: db.prepare(counters.read).pluck(),
    sweepCounters: db.prepare(counters.sweep),
    readCredits,
    writeCredits,
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
