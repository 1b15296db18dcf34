import type Database from 'better-sqlite3'
import {
  applyCharges,
  counterWindow,
  sqliteCounterSlot as counterSlot,
  sqliteOwnerStatements,
  sqliteOwnerValues as ownerValues,
  sqliteRowToOwner as rowToOwner,
  type Charge,
  type ChargeResult,
  type CounterState,
  type Credits,
  type OwnerRecord,
  type SqliteOwnerRow as OwnerRow,
} from '@keyward/core/store'
import type { SqliteStatements } from './statements.js'

type Db = Database.Database
type Statement = Database.Statement

/**
 * The access-rule operations of `SqliteKeyStore`, synchronous (the store retries them while the
 * file is busy): `charge` in one IMMEDIATE transaction (core's `applyCharges` on what it reads, then
 * its writes), and the owners table.
 */
export class SqliteRules {
  readonly #charge: Database.Transaction<(charges: Charge[], now: number) => ChargeResult>
  readonly #s: SqliteStatements
  readonly #getOwner: Statement
  readonly #putOwner: Statement

  constructor(db: Db, table: string, s: SqliteStatements) {
    this.#s = s
    const owners = sqliteOwnerStatements(table)
    const readOwnerCredits = db.prepare(owners.credits).pluck()
    const writeOwnerCredits = db.prepare(owners.setCredits)
    this.#getOwner = db.prepare(owners.get)
    this.#putOwner = db.prepare(owners.put)
    this.#charge = db.transaction((charges: Charge[], now: number): ChargeResult => {
      const { result, writes } = applyCharges(charges, now, {
        counter: (name, windowMs, start) => (s.readCounter.get(counterSlot(name, windowMs, start)) as number | undefined) ?? 0,
        credits: (holder, id) => {
          const stored = (holder === 'key' ? s.readCredits : readOwnerCredits).get(id) as string | null | undefined
          return stored === undefined || stored === null ? null : (JSON.parse(stored) as Credits)
        },
      })
      // Kept one window after theirs ends, for sliding limits that weigh the previous window.
      for (const w of writes.counters)
        s.increment.get(counterSlot(w.name, w.windowMs, w.start), w.amount, w.resetAt, w.resetAt + w.windowMs)
      for (const w of writes.credits) (w.holder === 'key' ? s.writeCredits : writeOwnerCredits).run(JSON.stringify(w.credits), w.id)
      return result
    })
  }

  /** Add `amount` to counter `name` in its window (kept one window longer, as `charge`'s). */
  increment(name: string, amount: number, windowMs: number, now: number): CounterState {
    const { start, resetAt } = counterWindow(now, windowMs)
    const row = this.#s.increment.get(counterSlot(name, windowMs, start), amount, resetAt, resetAt + windowMs) as {
      count: number
      reset_at: number
    }
    return { count: row.count, resetAt: row.reset_at }
  }

  /** Admit all of `charges` or none, in one IMMEDIATE transaction. */
  charge(charges: Charge[], now: number): ChargeResult {
    return this.#charge.immediate(charges, now)
  }

  getOwner(id: string): OwnerRecord | null {
    const row = this.#getOwner.get(id) as OwnerRow | undefined
    return row === undefined ? null : rowToOwner(row)
  }

  /** Create or replace `owner` (keeping its stored `createdAt`, revision + 1); the stored owner. */
  putOwner(owner: OwnerRecord): () => OwnerRecord {
    const values = ownerValues(owner)
    return () => rowToOwner(this.#putOwner.get(values) as OwnerRow)
  }
}
