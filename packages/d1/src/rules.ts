import {
  counterWindow,
  sqliteCounterSlot as counterSlot,
  sqliteCounterStatements,
  sqliteOwnerStatements,
  sqliteOwnerValues as ownerValues,
  sqliteRowToOwner as rowToOwner,
  type Charge,
  type ChargeResult,
  type CounterState,
  type Credits,
  type CreditSpend,
  type OwnerRecord,
  type SqliteOwnerRow as OwnerRow,
} from '@keyward/core/store'
import { chargeBatch, chargeResult } from './charge.js'
import type { D1DatabaseLike, D1StatementLike } from './options.js'
import { spendSql } from './schema.js'

const COUNTER_SWEEP_EVERY = 1000

/**
 * The counters, credits and owners of `D1KeyStore`: each operation one statement or one batch (a
 * transaction), so concurrent requests in any number of isolates never lose a write.
 */
export class D1Rules {
  readonly #db: D1DatabaseLike
  readonly #table: string
  readonly #counters: ReturnType<typeof sqliteCounterStatements>
  readonly #owners: ReturnType<typeof sqliteOwnerStatements>
  #writes = 0

  constructor(db: D1DatabaseLike, table: string) {
    this.#db = db
    this.#table = table
    this.#counters = sqliteCounterStatements(table)
    this.#owners = sqliteOwnerStatements(table)
  }

  async increment(name: string, amount: number, windowMs: number, now: number): Promise<CounterState> {
    const { start, resetAt } = counterWindow(now, windowMs)
    const row = await this.#db
      .prepare(this.#counters.add)
      .bind(counterSlot(name, windowMs, start), amount, resetAt, resetAt + windowMs)
      .first<{ count: number; reset_at: number }>()
    this.#sweepSometimes(now)
    return { count: row!.count, resetAt: row!.reset_at }
  }

  /** Every so many counter writes, forget the slots no limit reads any more (one window after theirs ended). */
  #sweepSometimes(now: number): void {
    if (++this.#writes % COUNTER_SWEEP_EVERY === 0)
      this.#db
        .prepare(this.#counters.sweep)
        .bind(now)
        .run()
        .catch(() => undefined)
  }

  async spendCredits(id: string, cost: number, now: number): Promise<CreditSpend | null> {
    const row = await this.#db.prepare(spendSql(this.#table)).bind(id, cost, now).first<{ credits: string; spend_ok: number }>()
    if (row === null) return null
    const credits = JSON.parse(row.credits) as Credits
    const refill = credits.refill ?? null
    return {
      ok: row.spend_ok === 1,
      remaining: credits.remaining,
      nextRefillAt: refill !== null ? credits.refilledAt! + refill.intervalMs : null,
    }
  }

  /** One batch: admission decided in SQL, writes conditional on it (see `chargeBatch`). */
  async charge(charges: Charge[], now: number): Promise<ChargeResult> {
    const batch = chargeBatch(this.#table, charges, now, crypto.randomUUID())
    const results = await this.#db.batch<{ ok: number; seen: string }>(
      batch.map(({ sql, values }) => this.#db.prepare(sql).bind(...values)),
    )
    this.#sweepSometimes(now)
    return chargeResult(charges, now, results.at(-1)!.results[0]!)
  }

  async getOwner(id: string): Promise<OwnerRecord | null> {
    const row = await this.#db.prepare(this.#owners.get).bind(id).first<OwnerRow>()
    return row === null ? null : rowToOwner(row)
  }

  /** The upsert of `owner` (keeping its stored `created_at`, revision + 1), returning the stored row. */
  putStatement(owner: OwnerRecord): D1StatementLike {
    return this.#db.prepare(this.#owners.put).bind(...ownerValues(owner))
  }
}
