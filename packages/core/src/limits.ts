import { throttlingSource } from './http/source.js'
import { ExpiringLru } from './lib/lru.js'
import type { NamedRateLimit } from './rules-types.js'
import type { KeyStore, RateLimit } from './types.js'

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
  /** Checked named default limits. */
  rateLimits?: NamedRateLimit[] | null | undefined
  throttle?: false | ThrottleOptions | undefined
}

/** Failed attempts of one source or key id in the current window. */
interface AttemptSlot {
  /** The store counter's name. */
  readonly name: string
  /** The highest count the store has answered. */
  confirmed: number
  /** Attempts reserved and not yet counted or released. */
  pending: number
}

/** Attempt slots held by one verification (see {@link Limits.reserve}). */
export interface Reservation {
  readonly source: AttemptSlot | undefined
  readonly key: AttemptSlot | undefined
}

const DEFAULT_PER_SOURCE: RateLimit = { limit: 100, windowMs: 3_600_000 }
const MAX_TRACKED = 100_000

/**
 * The defaults of rate limits, and failure throttling. Decisions that must be exact across instances
 * (rate limits, credits: see `rules/charges.ts`) are atomic store operations; throttling consults a local memory of counts
 * the store returned, so a request from an address in good standing costs no I/O.
 */
export class Limits {
  readonly defaultRateLimit: RateLimit | null
  /** Every key's limits unless it has its own of the same name: `rateLimit` (as `default`) and `rateLimits`. */
  readonly defaults: NamedRateLimit[]
  readonly #perSource: RateLimit | null
  readonly #perKey: RateLimit | null
  readonly #store: KeyStore
  /** Throttled counters seen from the store: name → window end. */
  readonly #blocked = new ExpiringLru<true>(MAX_TRACKED)
  /** Attempts per source / key id in the current window: confirmed by the store, and in flight. */
  readonly #attempts = new ExpiringLru<AttemptSlot>(MAX_TRACKED)

  constructor(store: KeyStore, options: LimitsOptions) {
    this.#store = store
    this.defaultRateLimit = options.rateLimit ?? null
    this.defaults = [...(this.defaultRateLimit ? [{ name: 'default', ...this.defaultRateLimit }] : []), ...(options.rateLimits ?? [])]
    if (options.rateLimits?.some((limit) => limit.name === 'default' || limit.algorithm === 'sliding') && !store.charge)
      throw new TypeError('this store has no charge(): sliding limits and a named "default" limit need it')
    const canCount = typeof store.incrementCounter === 'function'
    // The default throttle applies to stores that can count; asking for limits a store cannot keep is an error.
    const throttle = options.throttle ?? (canCount ? {} : false)
    this.#perSource = throttle === false || throttle.perSource === false ? null : (throttle.perSource ?? DEFAULT_PER_SOURCE)
    this.#perKey = throttle === false || !throttle.perKey ? null : throttle.perKey
    const needsCounters = this.defaults.length > 0 || this.#perSource !== null || this.#perKey !== null
    if (needsCounters && !canCount) throw new TypeError('this store has no incrementCounter(): rate limits and throttling need it')
  }

  /** Whether the store can count (for per-key limits set at creation) and spend credits. */
  get canRateLimit(): boolean {
    return typeof this.#store.incrementCounter === 'function'
  }
  get canSpendCredits(): boolean {
    return typeof this.#store.spendCredits === 'function' || this.canCharge
  }
  /** Whether the store admits several limits and credits at once (named, sliding and owner limits need it). */
  get canCharge(): boolean {
    return typeof this.#store.charge === 'function'
  }

  /** A local, I/O-free check: the retry delay when the source or key id is throttled. */
  throttled(kind: 'source' | 'key', value: string | undefined, now: number): number | undefined {
    if (value === undefined || (kind === 'source' ? this.#perSource : this.#perKey) === null) return undefined
    return this.#blocked.get(`${kind}:${kind === 'source' ? throttlingSource(value) : value}`, now)
      ? this.#retryAfter(kind, now)
      : undefined
  }

  #retryAfter(kind: 'source' | 'key', now: number): number {
    const windowMs = (kind === 'source' ? this.#perSource : this.#perKey)!.windowMs
    return Math.floor(now / windowMs) * windowMs + windowMs - now
  }

  /**
   * Reserve one attempt for the source and key id before a secret is checked, so a burst cannot
   * outrun the store's counter: failures the store has confirmed in this window plus attempts
   * still being evaluated may not exceed the limit. Returns the retry delay when either is full
   * (nothing reserved then); otherwise a reservation to hand back with {@link release} or
   * {@link recordFailure}. Synchronous and I/O-free.
   */
  reserve(source: string | undefined, keyId: string, now: number): { retryAfterMs: number } | Reservation {
    const bySource = this.#slot('source', source, this.#perSource, now)
    const byKey = this.#slot('key', keyId, this.#perKey, now)
    for (const [kind, slot, limit] of [
      ['source', bySource, this.#perSource],
      ['key', byKey, this.#perKey],
    ] as const)
      if (slot !== undefined && slot.confirmed + slot.pending >= limit!.limit) return { retryAfterMs: this.#retryAfter(kind, now) }
    if (bySource) bySource.pending++
    if (byKey) byKey.pending++
    return { source: bySource, key: byKey }
  }

  /** Hand back a reservation whose attempt succeeded (or was not a failed guess). */
  release(reservation: Reservation): void {
    if (reservation.source) reservation.source.pending--
    if (reservation.key) reservation.key.pending--
  }

  /** The attempt slot of one source or key id in the current window; undefined when not throttled. */
  #slot(kind: 'source' | 'key', value: string | undefined, limit: RateLimit | null, now: number): AttemptSlot | undefined {
    if (value === undefined || limit === null) return undefined
    // A source is counted as throttlingSource writes it: an IPv6 client by its /64.
    const name = `${kind}:${kind === 'source' ? throttlingSource(value) : value}`
    let slot = this.#attempts.get(name, now)
    if (slot === undefined) {
      slot = { name: `fail:${name}`, confirmed: 0, pending: 0 }
      this.#attempts.set(name, slot, Math.floor(now / limit.windowMs) * limit.windowMs + limit.windowMs)
    }
    return slot
  }

  /** Count a reserved, failed attempt against its source and key id in the store. Never throws. */
  async recordFailure(reservation: Reservation, now: number): Promise<void> {
    await Promise.all([this.#count(reservation.source, this.#perSource, now), this.#count(reservation.key, this.#perKey, now)])
  }

  async #count(slot: AttemptSlot | undefined, limit: RateLimit | null, now: number): Promise<void> {
    if (slot === undefined || limit === null) return
    try {
      const { count, resetAt } = await this.#store.incrementCounter!(slot.name, 1, limit.windowMs, now)
      slot.confirmed = Math.max(slot.confirmed, count)
      if (count >= limit.limit) this.#blocked.set(slot.name.slice('fail:'.length), true, resetAt)
    } catch {
      // The request already failed; an unreachable counter must not turn that into anything else.
    } finally {
      slot.pending--
    }
  }
}
