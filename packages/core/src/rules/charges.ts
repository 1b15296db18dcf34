import type { Charge, ChargeResult, NamedRateLimit, OwnerRecord } from '../rules-types.js'
import type { ApiKeyRecord, KeyStore } from '../types.js'
import { failure, type RateLimitState, type VerifyFailure } from '../verify-result.js'

/** What a verification spends: a credit cost (each limit spends 1), or units per limit name (`credits` for credits). */
export type VerifyCost = number | Readonly<Record<string, number>>

/** What a successful admission reports, for `RateLimit` headers and credit displays. */
export interface Admission {
  /** The key's `default` limit, else the policy with the least left. */
  rateLimit?: RateLimitState
  /** Every policy the request was counted against, by name (`owner.` for the owner's). */
  rateLimits?: RateLimitState[]
  /** The least credits left, of the key's and its owner's. */
  creditsRemaining?: number
}

interface Policy {
  name: string
  limit: NamedRateLimit
}

/** The store counter of a key's limit: `rate:<id>` for `default` (as before named limits), else `rate:<id>:<name>`. */
export function rateCounterName(keyId: string, name = 'default'): string {
  return name === 'default' ? `rate:${keyId}` : `rate:${keyId}:${name}`
}

/** The store counter of an owner's limit. Limit names have no `:`, so any owner id is unambiguous. */
function ownerCounterName(ownerId: string, name: string): string {
  return `owner:${name}:${ownerId}`
}

/**
 * Whose counter a store counter is, for a store that keeps counters beside their record (a sharded
 * store puts a counter in the shard of its key or owner): `rate:<id>[:<name>]` and the key-id throttle
 * `fail:key:<id>` belong to key `<id>`, `owner:<name>:<ownerId>` to the owner; any other counter
 * (`fail:source:<address>`, counters a caller names) to none (null). Key ids have no `:`.
 *
 * @example
 * counterSubject('rate:AbCdEfGhIjKl:tokens') // { kind: 'key', id: 'AbCdEfGhIjKl' }
 * counterSubject('owner:default:team-7') // { kind: 'owner', id: 'team-7' }
 */
export function counterSubject(name: string): { kind: 'key' | 'owner'; id: string } | null {
  const [kind, first, ...rest] = name.split(':')
  if (kind === 'rate' && first) return { kind: 'key', id: first }
  if (kind === 'fail' && first === 'key' && rest.length > 0) return { kind: 'key', id: rest.join(':') }
  if (kind === 'owner' && first && rest.length > 0) return { kind: 'owner', id: rest.join(':') }
  return null
}

/** The limits a key counts against: the defaults by name, each replaced by the key's own of that name. */
export function keyLimits(budget: ApiKeyRecord, defaults: readonly NamedRateLimit[]): NamedRateLimit[] {
  const own =
    budget.rateLimit === null ? (budget.rateLimits ?? []) : [{ name: 'default', ...budget.rateLimit }, ...(budget.rateLimits ?? [])]
  if (defaults.length === 0) return own
  const named = new Set(own.map((limit) => limit.name))
  return [...defaults.filter((limit) => !named.has(limit.name)), ...own]
}

function unitsOf(cost: VerifyCost, name: string): number {
  return typeof cost === 'number' ? 1 : (cost[name] ?? 1)
}

/**
 * Admit a verified key against every limit and credit balance of its budget record and its owner,
 * all or nothing in one store operation. Resolves to a failure or to what to report; rejects when
 * the store fails (the caller fails closed).
 */
export async function admitAll(
  store: KeyStore,
  keyId: string,
  budget: ApiKeyRecord,
  owner: OwnerRecord | null,
  defaults: readonly NamedRateLimit[],
  cost: VerifyCost,
  now: number,
): Promise<VerifyFailure | Admission> {
  const policies: Policy[] = keyLimits(budget, defaults).map((limit) => ({ name: limit.name, limit }))
  const charges: Charge[] = policies.map(({ limit }) => counterCharge(rateCounterName(budget.id, limit.name), limit, cost))
  if (owner !== null)
    for (const limit of owner.rateLimits) {
      policies.push({ name: `owner.${limit.name}`, limit })
      charges.push(counterCharge(ownerCounterName(owner.id, limit.name), limit, cost))
    }
  const creditCost = typeof cost === 'number' ? cost : (cost.credits ?? 1)
  if (budget.credits !== null) charges.push({ type: 'credits', holder: 'key', id: budget.id, cost: creditCost })
  if (owner?.credits) charges.push({ type: 'credits', holder: 'owner', id: owner.id, cost: creditCost })
  if (charges.length === 0) return {}
  const result = store.charge ? await store.charge(charges, now) : await legacyCharge(store, charges, now)
  const states = policies.map((policy, i) => {
    const seen = result.states[i] as { count: number; resetAt: number }
    const { limit, windowMs } = policy.limit
    return {
      policy: policy.name,
      limit,
      windowMs,
      remaining: Math.max(0, limit - seen.count),
      resetAt: seen.resetAt,
      resetInMs: seen.resetAt - now,
    }
  })
  if (!result.ok) {
    const refused = result.states.findIndex((state) => state !== null && !state.ok)
    const state = result.states[refused]!
    if (state.type === 'counter')
      return failure('rate_limited', { keyId, retryAfterMs: state.resetAt - now, rateLimit: states[refused]!, rateLimits: states })
    return failure('usage_exceeded', {
      keyId,
      creditsRemaining: state.remaining,
      ...(state.nextRefillAt !== null && { retryAfterMs: state.nextRefillAt - now }),
    })
  }
  const admission: Admission = {}
  if (states.length > 0) {
    admission.rateLimits = states
    admission.rateLimit = states.find((s) => s.policy === 'default') ?? states.reduce((a, b) => (b.remaining < a.remaining ? b : a))
  }
  for (const state of result.states.slice(policies.length))
    if (state?.type === 'credits') admission.creditsRemaining = Math.min(admission.creditsRemaining ?? state.remaining, state.remaining)
  return admission
}

function counterCharge(name: string, limit: NamedRateLimit, cost: VerifyCost): Charge {
  return {
    type: 'counter',
    name,
    amount: unitsOf(cost, limit.name),
    limit: limit.limit,
    windowMs: limit.windowMs,
    algorithm: limit.algorithm ?? 'fixed',
  }
}

/**
 * For a store without `charge`: a single fixed counter and the key's credits, as before named
 * limits (the counter then moves even when credits refuse). Anything more cannot be kept.
 */
async function legacyCharge(store: KeyStore, charges: Charge[], now: number): Promise<ChargeResult> {
  const states: ChargeResult['states'] = []
  let ok = true
  for (const charge of charges) {
    if (charge.type === 'counter' && charge.algorithm === 'fixed' && store.incrementCounter && states.length === 0) {
      const { count, resetAt } = await store.incrementCounter(charge.name, charge.amount, charge.windowMs, now)
      ok = count <= charge.limit
      states.push({ type: 'counter', ok, count: Math.min(count, charge.limit), resetAt })
      if (!ok) return { ok, states }
    } else if (charge.type === 'credits' && charge.holder === 'key' && store.spendCredits) {
      const spend = await store.spendCredits(charge.id, charge.cost, now)
      states.push(spend && { type: 'credits', ...spend })
      ok &&= spend?.ok ?? true
    } else throw new TypeError('this store has no charge(): named, sliding and owner limits and owner credits need it')
  }
  return { ok, states }
}
