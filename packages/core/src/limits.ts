import { ExpiringLru } from './lib/lru.js'
import type { ApiKeyRecord, KeyStore, RateLimit } from './types.js'
import { failure, type RateLimitState, type VerifyFailure } from './verify-result.js'

/** Failed-attempt throttling. */
export interface ThrottleOptions {
  /**
   * Failed attempts allowed per client address per window; past it the address gets
   * `rate_limited` before any store lookup or digest. OWASP ASVS: at most 100 per hour. Counted are
   * well-formed keys that did not verify (`invalid`); malformed input is refused without any
   * lookup, so it costs nothing to refuse and is not counted.
   * @default { limit: 100, windowMs: 3_600_000 }
   */
  perSource?: false | RateLimit
  /**
   * Failed attempts allowed per key id per window. Off by default: key ids are public, so anyone
   * who saw one could lock its integration out; the 190-bit secret makes guessing hopeless anyway.
   * @default false
   */
  perKey?: false | RateLimit
}

export interface LimitsOptions {
  rateLimit?: RateLimit | undefined
  throttle?: false | ThrottleOptions | undefined
}

/** What a successful admission reports, for `RateLimit` headers and credit displays. */
export interface Admission {
  rateLimit?: RateLimitState
  creditsRemaining?: number
}

const DEFAULT_PER_SOURCE: RateLimit = { limit: 100, windowMs: 3_600_000 }
const MAX_TRACKED = 100_000

/**
 * Rate limits, usage credits and failure throttling. Decisions that must be exact across instances
 * (rate limits, credits) are atomic store operations; throttling consults a local memory of counts
 * the store returned, so a request from an address in good standing costs no I/O.
 */
export class Limits {
  readonly defaultRateLimit: RateLimit | null
  readonly #perSource: RateLimit | null
  readonly #perKey: RateLimit | null
  readonly #store: KeyStore
  /** Throttled counters seen from the store: name → window end. */
  readonly #blocked = new ExpiringLru<true>(MAX_TRACKED)

  constructor(store: KeyStore, options: LimitsOptions) {
    this.#store = store
    this.defaultRateLimit = options.rateLimit ?? null
    const canCount = typeof store.incrementCounter === 'function'
    // The default throttle applies to stores that can count; asking for limits a store cannot keep is an error.
    const throttle = options.throttle ?? (canCount ? {} : false)
    this.#perSource = throttle === false || throttle.perSource === false ? null : (throttle.perSource ?? DEFAULT_PER_SOURCE)
    this.#perKey = throttle === false || !throttle.perKey ? null : throttle.perKey
    const needsCounters = this.defaultRateLimit !== null || this.#perSource !== null || this.#perKey !== null
    if (needsCounters && !canCount)
      throw new TypeError('this store has no incrementCounter(): rate limits and throttling need it')
  }

  /** Whether the store can count (for per-key limits set at creation) and spend credits. */
  get canRateLimit(): boolean {
    return typeof this.#store.incrementCounter === 'function'
  }
  get canSpendCredits(): boolean {
    return typeof this.#store.spendCredits === 'function'
  }

  /** A local, I/O-free check: the retry delay when the source or key id is throttled. */
  throttled(kind: 'source' | 'key', value: string | undefined, now: number): number | undefined {
    if (value === undefined || (kind === 'source' ? this.#perSource : this.#perKey) === null) return undefined
    return this.#blocked.get(`${kind}:${value}`, now) ? this.#retryAfter(kind, now) : undefined
  }

  #retryAfter(kind: 'source' | 'key', now: number): number {
    const windowMs = (kind === 'source' ? this.#perSource : this.#perKey)!.windowMs
    return Math.floor(now / windowMs) * windowMs + windowMs - now
  }

  /** Count a failed attempt against the source and key id. Never throws. */
  async recordFailure(source: string | undefined, keyId: string | undefined, now: number): Promise<void> {
    await Promise.all([this.#count('source', source, this.#perSource, now), this.#count('key', keyId, this.#perKey, now)])
  }

  async #count(kind: 'source' | 'key', value: string | undefined, limit: RateLimit | null, now: number): Promise<void> {
    if (value === undefined || limit === null) return
    const name = `fail:${kind}:${value}`
    try {
      const { count, resetAt } = await this.#store.incrementCounter!(name, 1, limit.windowMs, now)
      if (count >= limit.limit) this.#blocked.set(`${kind}:${value}`, true, resetAt)
    } catch {
      // The request already failed; an unreachable counter must not turn that into anything else.
    }
  }

  /**
   * Admit a verified key: its rate limit first, then its credits. Resolves to a failure, or to what
   * to report. Rejects when the store fails (the caller fails closed).
   */
  async admit(record: ApiKeyRecord, cost: number, now: number): Promise<VerifyFailure | Admission> {
    const admission: Admission = {}
    const rateLimit = record.rateLimit ?? this.defaultRateLimit
    if (rateLimit !== null) {
      const { count, resetAt } = await this.#store.incrementCounter!(`rate:${record.id}`, 1, rateLimit.windowMs, now)
      const state: RateLimitState = { ...rateLimit, remaining: Math.max(0, rateLimit.limit - count), resetAt, resetInMs: resetAt - now }
      if (count > rateLimit.limit) return failure('rate_limited', { keyId: record.id, retryAfterMs: resetAt - now, rateLimit: state })
      admission.rateLimit = state
    }
    if (record.credits !== null && this.canSpendCredits) {
      const spend = await this.#store.spendCredits!(record.id, cost, now)
      if (spend !== null) {
        if (!spend.ok)
          return failure('usage_exceeded', {
            keyId: record.id,
            ...(spend.nextRefillAt !== null && { retryAfterMs: spend.nextRefillAt - now }),
          })
        admission.creditsRemaining = spend.remaining
      }
    }
    return admission
  }
}
