import { counterWindow, sqliteCounterSlot as counterSlot, type Charge, type ChargeResult } from '@keyward/core/store'
import type { Run } from './analytics.js'
import { qualified, type PgNames } from './names.js'
import { statementName, type Statement } from './statements.js'

const SWEEP_EVERY = 1000

/**
 * `KeyStore.charge` on PostgreSQL: one call of the `_charge` function (migration 6), which locks
 * the rows it reads in one order, decides, and writes only when every charge admits. Every
 * thousandth call also forgets the counters past their keeping time.
 */
export class PgCharges {
  readonly #run: Run
  readonly #charge: Statement
  readonly #sweep: Statement
  #calls = 0

  constructor(names: PgNames, run: Run, sweep: Statement) {
    const text = `SELECT ${qualified(names, '_charge')}($1::jsonb, $2::float8) AS result`
    this.#charge = { name: statementName(text), text }
    this.#run = run
    this.#sweep = sweep
  }

  async charge(charges: Charge[], now: number): Promise<ChargeResult> {
    if (charges.length === 0) return { ok: true, states: [] }
    const { rows } = await this.#run<{ result: ChargeResult }>('charge', this.#charge, [
      JSON.stringify(charges.map((c) => withSlots(c, now))),
      now,
    ])
    if (++this.#calls % SWEEP_EVERY === 0) this.#run('sweepCounters', this.#sweep, [now]).catch(() => undefined)
    return rows[0]!.result
  }
}

/** A counter charge with the slots it reads and writes, its window's end and how long its slot is kept. */
function withSlots(charge: Charge, now: number): object {
  if (charge.type !== 'counter') return charge
  const { start, resetAt } = counterWindow(now, charge.windowMs)
  return {
    ...charge,
    slot: counterSlot(charge.name, charge.windowMs, start),
    previousSlot: counterSlot(charge.name, charge.windowMs, start - charge.windowMs),
    resetAt,
    // A sliding limit reads the window before its own: keep a slot one window past its end.
    keepUntil: resetAt + charge.windowMs,
  }
}
