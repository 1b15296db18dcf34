import { counterWindow, spendFromCredits } from './credits.js'
import type { Charge, ChargeResult, ChargeState, CounterCharge } from './rules-types.js'
import type { Credits } from './types.js'

/** What a store reads for {@link applyCharges}, inside its transaction (or script). */
export interface ChargeBook {
  /** The count of counter `name` in the window of `windowMs` starting at `start`; 0 when none. */
  counter(name: string, windowMs: number, start: number): number
  /** The credits of a key record or an owner; null when it does not exist or has none. */
  credits(holder: 'key' | 'owner', id: string): Credits | null
}

/** The writes an admitted charge makes. Empty when refused: a refused request moves nothing. */
export interface ChargeWrites {
  /** Add `amount` to the counter slot (name, windowMs, start), which may be forgotten after `resetAt`. */
  counters: { name: string; windowMs: number; start: number; resetAt: number; amount: number }[]
  /** Store these credits (refill applied, cost spent) on the holder. */
  credits: { holder: 'key' | 'owner'; id: string; credits: Credits }[]
}

/**
 * The charge rule of `KeyStore.charge` as a pure function: what every charge sees, whether all
 * admit, and the writes to make when they do. A store that can read and write inside one
 * transaction (memory, SQLite) calls it there; others express the same rule in their own language.
 */
export function applyCharges(charges: readonly Charge[], now: number, book: ChargeBook): { result: ChargeResult; writes: ChargeWrites } {
  const states: ChargeState[] = []
  const writes: ChargeWrites = { counters: [], credits: [] }
  let ok = true
  for (const charge of charges) {
    if (charge.type === 'counter') {
      const { start, resetAt } = counterWindow(now, charge.windowMs)
      const count = book.counter(charge.name, charge.windowMs, start)
      const carried = charge.algorithm === 'sliding' ? carriedFromPrevious(charge, book, start, resetAt, now) : 0
      const admits = carried + count + charge.amount <= charge.limit
      ok &&= admits
      states.push({ type: 'counter', ok: admits, count: Math.ceil(carried + count + (admits ? charge.amount : 0)), resetAt })
      if (charge.amount > 0) writes.counters.push({ name: charge.name, windowMs: charge.windowMs, start, resetAt, amount: charge.amount })
    } else {
      const credits = book.credits(charge.holder, charge.id)
      if (credits === null) {
        states.push(null)
        continue
      }
      const { credits: next, spend } = spendFromCredits(credits, charge.cost, now)
      ok &&= spend.ok
      states.push({ type: 'credits', ...spend })
      writes.credits.push({ holder: charge.holder, id: charge.id, credits: next })
    }
  }
  if (!ok) {
    // Report what was seen without spending: counters as they stand, credits with the cost put back.
    for (const [i, state] of states.entries())
      if (state?.type === 'counter' && state.ok) state.count = Math.ceil(state.count - (charges[i] as CounterCharge).amount)
      else if (state?.type === 'credits' && state.ok) state.remaining += (charges[i] as { cost: number }).cost
    return { result: { ok, states }, writes: { counters: [], credits: [] } }
  }
  return { result: { ok, states }, writes }
}

/** A sliding limit's share of the previous window: its count × the part of it still inside the last `windowMs`. */
function carriedFromPrevious(charge: CounterCharge, book: ChargeBook, start: number, resetAt: number, now: number): number {
  const previous = book.counter(charge.name, charge.windowMs, start - charge.windowMs)
  return previous === 0 ? 0 : (previous * (resetAt - now)) / charge.windowMs
}
