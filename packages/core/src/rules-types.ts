import type { Credits } from './types.js'

/** How a rate limit counts: fixed windows, or a sliding window estimated from the previous one. */
export type RateLimitAlgorithm = 'fixed' | 'sliding'

/**
 * A named rate limit: at most `limit` units per `windowMs`. A verification spends 1 unit of each
 * limit unless its `cost` names the limit (`cost: { tokens: 500 }`).
 *
 * `sliding` weighs the previous window by how much of it still overlaps the last `windowMs`
 * (`previous × (1 − elapsed / windowMs) + current`), so a burst at a window's edge cannot pass twice
 * the limit.
 * @example { name: 'tokens', limit: 10_000, windowMs: 60_000, algorithm: 'sliding' }
 */
export interface NamedRateLimit {
  /** `^[a-z0-9][a-z0-9_-]{0,31}$`; `default` is the single `rateLimit`. `credits` is reserved. */
  name: string
  limit: number
  windowMs: number
  /** @default 'fixed' */
  algorithm?: RateLimitAlgorithm
}

/**
 * One counter a charge spends on. Counters share `incrementCounter`'s slots: the fixed window of
 * `windowMs` that contains `now`, named `name`; a sliding limit also reads the window before it.
 */
export interface CounterCharge {
  type: 'counter'
  name: string
  /** Units to add; 0 peeks (and creates nothing). */
  amount: number
  limit: number
  windowMs: number
  algorithm: RateLimitAlgorithm
}

/** Credits a charge spends: a key record's (`holder: 'key'`) or an owner's. */
export interface CreditCharge {
  type: 'credits'
  holder: 'key' | 'owner'
  /** The key id or owner id. */
  id: string
  cost: number
}

/** One part of an atomic {@link KeyStore.charge}. */
export type Charge = CounterCharge | CreditCharge

/**
 * What one charge saw. For a counter, `count` is the window's count after the call (unchanged when
 * the charge was refused); for a sliding limit it is the weighted estimate, rounded up. Null for
 * credits whose holder does not exist or has none: such a charge admits and spends nothing.
 */
export type ChargeState =
  | { type: 'counter'; ok: boolean; count: number; resetAt: number }
  | { type: 'credits'; ok: boolean; remaining: number; nextRefillAt: number | null }
  | null

/** The outcome of a {@link KeyStore.charge}: `ok` when every charge admitted (and all were spent). */
export interface ChargeResult {
  ok: boolean
  /** One state per charge, in order. */
  states: ChargeState[]
}

/** What a store keeps for one owner (an account whose keys share limits and rights). */
export interface OwnerRecord {
  id: string
  /** Limits every key of the owner draws from together. */
  rateLimits: NamedRateLimit[]
  /** Credits every key of the owner spends from as well as its own. */
  credits: Credits | null
  /** The most live (not revoked, not expired) keys the owner may hold; null for no cap. */
  maxKeys: number | null
  /** The most any key of the owner may do; null for no restriction. */
  scopes: string[] | null
  /** Addresses and CIDR ranges every key of the owner must come from; null for anywhere. */
  allowedIps: string[] | null
  createdAt: Date
  updatedAt: Date
  /** Incremented by the store on every `putOwner`. */
  revision: number
}

/** A cap a store enforces in the same atomic step as an `insert`. */
export interface InsertCap {
  /** Refuse (with `LimitExceededError`) when the new record's owner already has this many live keys. */
  maxKeys: number
  /** Keys with `expiresAt ≤ now` or a `revokedAt` are not live. */
  now: number
}

/** The change id a store publishes (through `subscribe`) when an owner changes. */
export function ownerChangeId(ownerId: string): string {
  return `owner:${ownerId}`
}
