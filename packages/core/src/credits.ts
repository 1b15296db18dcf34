import type { CreditSpend, Credits } from './types.js'

/**
 * The credit-spending rule every store applies atomically, as a pure function: apply a due refill,
 * then spend `cost` when enough remains. Stores that run it inside a transaction (or a Lua script)
 * may call it directly; SQL stores express the same rule in one `UPDATE`.
 */
export function spendFromCredits(credits: Credits, cost: number, now: number): { credits: Credits; spend: CreditSpend } {
  let { remaining, refilledAt } = credits
  const refill = credits.refill ?? null
  if (refill !== null) {
    const last = refilledAt ?? now
    if (now >= last + refill.intervalMs) {
      remaining = refill.amount
      refilledAt = last + Math.floor((now - last) / refill.intervalMs) * refill.intervalMs
    } else refilledAt = last
  }
  const ok = remaining >= cost
  if (ok) remaining -= cost
  const next: Credits = { remaining, refill, ...(refilledAt !== undefined && { refilledAt }) }
  return { credits: next, spend: { ok, remaining, nextRefillAt: refill !== null ? refilledAt! + refill.intervalMs : null } }
}

/** The fixed window of `windowMs` containing `now`: windows start at multiples of `windowMs`. */
export function counterWindow(now: number, windowMs: number): { start: number; resetAt: number } {
  const start = Math.floor(now / windowMs) * windowMs
  return { start, resetAt: start + windowMs }
}
