/**
 * `charge` on D1 as one batch (one transaction) that cannot branch in JavaScript: the first
 * statement reads every counter and credit balance the charges name and decides admission in SQL,
 * into a scratch row; every write after it is conditional on that row; the last statement removes
 * the row and returns what was read, from which core's `applyCharges` tells each charge's state.
 */
import {
  applyCharges,
  counterWindow,
  sqliteCounterSlot as counterSlot,
  type Charge,
  type ChargeResult,
  type Credits,
} from '@keyward/core/store'
import { q } from './schema.js'

/** A statement and its values. */
export interface BoundSql {
  sql: string
  values: unknown[]
}

/** A number as a SQL literal. Charges come from Keyward, but a number that is not finite must never reach SQL. */
function lit(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`charge: not a finite number: ${String(n)}`)
  return String(n)
}

/**
 * The credits `json_extract(<credits>, …)` left after a refill (when due at `now`) and a spend of
 * `cost`, for `credits` in table `table`: core's `spendFromCredits` in SQL, for an admitted charge.
 */
function spentCredits(table: string, cost: number, now: number): string {
  const cr = `${q(table)}.credits`
  return `(SELECT CASE WHEN iv IS NULL THEN json_set(cr, '$.remaining', r1 - ${lit(cost)})
    ELSE json_set(cr, '$.remaining', r1 - ${lit(cost)}, '$.refilledAt', ra1) END
  FROM (SELECT cr, iv, CASE WHEN due THEN amt ELSE r END AS r1,
          CASE WHEN due THEN last + CAST((${lit(now)} - last) / iv AS INTEGER) * iv ELSE last END AS ra1
    FROM (SELECT cr, r, amt, iv, last, (iv IS NOT NULL AND ${lit(now)} >= last + iv) AS due
      FROM (SELECT ${cr} AS cr, json_extract(${cr}, '$.remaining') AS r, json_extract(${cr}, '$.refill.amount') AS amt,
              json_extract(${cr}, '$.refill.intervalMs') AS iv, COALESCE(json_extract(${cr}, '$.refilledAt'), ${lit(now)}) AS last))))`
}

/** Whether credits `k` (JSON text, or NULL for none) admit `cost` at `now`, after a due refill. */
function creditsAdmit(k: string, cost: number, now: number): string {
  const iv = `json_extract(${k}, '$.refill.intervalMs')`
  const due = `${iv} IS NOT NULL AND ${lit(now)} >= COALESCE(json_extract(${k}, '$.refilledAt'), ${lit(now)}) + ${iv}`
  return `(${k} IS NULL OR (CASE WHEN ${due} THEN json_extract(${k}, '$.refill.amount') ELSE json_extract(${k}, '$.remaining') END) >= ${lit(cost)})`
}

/** The batch of one `charge` on keys table `t`, its scratch row named `id`; read its last result with {@link chargeResult}. */
export function chargeBatch(t: string, charges: readonly Charge[], now: number, id: string): BoundSql[] {
  const scratch = q(`${t}_charges`)
  const countOf = `(SELECT count FROM ${q(`${t}_counters`)} WHERE slot = ?)`
  const admitted = `(SELECT ok FROM ${scratch} WHERE id = ?)`
  const reads: string[] = []
  const readValues: unknown[] = []
  const read = (sql: string, value: string): string => {
    reads.push(`${sql} AS v${reads.length}`)
    readValues.push(value)
    return `v${reads.length - 1}`
  }
  const conditions: string[] = []
  const writes: BoundSql[] = []
  const credited = new Map<string, BoundSql>()
  for (const charge of charges) {
    if (charge.type === 'counter') {
      const { start, resetAt } = counterWindow(now, charge.windowMs)
      const count = read(countOf, counterSlot(charge.name, charge.windowMs, start))
      // As applyCharges: previous × (resetAt − now) / windowMs + count + amount ≤ limit, in doubles.
      const carried =
        charge.algorithm === 'sliding'
          ? `CAST(COALESCE(${read(countOf, counterSlot(charge.name, charge.windowMs, start - charge.windowMs))}, 0) * ${lit(resetAt - now)} AS REAL) / ${lit(charge.windowMs)}`
          : '0'
      conditions.push(`(${carried} + COALESCE(${count}, 0) + ${lit(charge.amount)} <= ${lit(charge.limit)})`)
      if (charge.amount > 0)
        writes.push({
          sql: `INSERT INTO ${q(`${t}_counters`)} (slot, count, reset_at, keep_until) SELECT ?, ?, ?, ? WHERE ${admitted}
ON CONFLICT (slot) DO UPDATE SET count = count + excluded.count`,
          values: [counterSlot(charge.name, charge.windowMs, start), charge.amount, resetAt, resetAt + charge.windowMs, id],
        })
    } else {
      const table = charge.holder === 'key' ? t : `${t}_owners`
      const credits = read(`(SELECT credits FROM ${q(table)} WHERE id = ?)`, charge.id)
      conditions.push(creditsAdmit(credits, charge.cost, now))
      // As applyCharges, the last charge on one holder is the one written.
      credited.set(`${charge.holder}:${charge.id}`, {
        sql: `UPDATE ${q(table)} SET credits = ${spentCredits(table, charge.cost, now)} WHERE id = ? AND credits IS NOT NULL AND ${admitted}`,
        values: [charge.id, id],
      })
    }
  }
  const admit: BoundSql = {
    sql: `INSERT INTO ${scratch} (id, ok, seen) SELECT ?, ${conditions.length ? conditions.join(' AND ') : '1'}, json_array(${reads
      .map((_, i) => `v${i}`)
      .join(', ')}) FROM (SELECT ${reads.length ? reads.join(', ') : '1'})`,
    values: [id, ...readValues],
  }
  const done: BoundSql = { sql: `DELETE FROM ${scratch} WHERE id = ? RETURNING ok, seen`, values: [id] }
  return [admit, ...writes, ...credited.values(), done]
}

/**
 * The result of a charge from the row its batch's last statement returned: core's `applyCharges`
 * over what the first statement read, which must agree with the admission SQL made.
 */
export function chargeResult(charges: readonly Charge[], now: number, row: { ok: number; seen: string }): ChargeResult {
  const seen = JSON.parse(row.seen) as (number | string | null)[]
  const counts = new Map<string, number>()
  const balances = new Map<string, Credits | null>()
  let i = 0
  for (const charge of charges) {
    if (charge.type === 'counter') {
      const { start } = counterWindow(now, charge.windowMs)
      counts.set(counterSlot(charge.name, charge.windowMs, start), (seen[i++] as number | null) ?? 0)
      if (charge.algorithm === 'sliding')
        counts.set(counterSlot(charge.name, charge.windowMs, start - charge.windowMs), (seen[i++] as number | null) ?? 0)
    } else {
      const text = seen[i++] as string | null
      balances.set(`${charge.holder}:${charge.id}`, text === null ? null : (JSON.parse(text) as Credits))
    }
  }
  const { result } = applyCharges(charges, now, {
    counter: (name, windowMs, start) => counts.get(counterSlot(name, windowMs, start)) ?? 0,
    credits: (holder, id) => balances.get(`${holder}:${id}`) ?? null,
  })
  if (result.ok !== (row.ok === 1)) throw new Error('charge: the admission made in SQL differs from applyCharges')
  return result
}
