import { StoreUnavailableError } from '../errors.js'
import { type AllowList, compileAllowList } from '../ip/index.js'
import { ExpiringLru } from '../lib/lru.js'
import type { EventSink } from '../instance/events.js'
import { toStoreError } from '../instance/store-errors.js'
import { type OwnerRecord, ownerChangeId } from '../rules-types.js'
import type { KeyStore } from '../types.js'

/** An owner as the verification path uses it: the record and its compiled allow-list. */
export interface OwnerEntry {
  owner: OwnerRecord
  /** Null when the owner allows every address. */
  allowList: AllowList | null
}

const MAX_OWNERS = 10_000

/**
 * Owners by id for the verification path, cached like records (same TTL; invalidated by this
 * instance's `owners.set` and by the store's change channel, which names them `owner:<id>`).
 * An owner with no settings is cached as null, so keys of such owners cost no extra store call.
 */
export class OwnerCache {
  readonly #store: KeyStore
  readonly #events: EventSink
  readonly #entries: ExpiringLru<OwnerEntry | null> | null
  readonly #ttlMs: number
  #epoch = 0

  constructor(store: KeyStore, events: EventSink, options: { enabled: boolean; max: number; ttlMs: number }) {
    this.#store = store
    this.#events = events
    this.#ttlMs = options.ttlMs
    this.#entries = options.enabled && typeof store.getOwner === 'function' ? new ExpiringLru(Math.min(options.max, MAX_OWNERS)) : null
  }

  /** Whether the store keeps owners at all (else every key is on its own). */
  get enabled(): boolean {
    return typeof this.#store.getOwner === 'function'
  }

  /** The owner's entry, from memory or the store; null for no settings. Rejects when the store fails. */
  async get(ownerId: string, now: number): Promise<OwnerEntry | null> {
    const cached = this.#entries?.get(ownerChangeId(ownerId), now)
    if (cached !== undefined) return cached
    const epoch = this.#epoch
    const owner = await this.read(ownerId, 'verify')
    const entry = owner && { owner, allowList: owner.allowedIps === null ? null : compileAllowList(owner.allowedIps) }
    if (epoch === this.#epoch) this.#entries?.set(ownerChangeId(ownerId), entry, now + this.#ttlMs)
    return entry
  }

  /** The owner read from the store (not the cache), checked; null when none. */
  async read(ownerId: string, operation: string): Promise<OwnerRecord | null> {
    let found: OwnerRecord | null
    try {
      found = (await this.#store.getOwner?.(ownerId)) ?? null
    } catch (error) {
      throw toStoreError(operation, error)
    }
    if (found !== null && !isWellFormedOwner(found, ownerId)) {
      const cause = 'the store returned a malformed owner'
      this.#events.emit({ type: 'store.error', operation, ownerId, cause })
      throw new StoreUnavailableError(operation, { cause: new TypeError(cause) })
    }
    return found
  }

  /** Forget an owner (a change id `owner:<id>`), or everything for `'*'`; other ids are ignored. */
  invalidate(changeId: string): void {
    if (changeId === '*') {
      this.#epoch++
      this.#entries?.clear()
    } else if (changeId.startsWith('owner:')) {
      this.#epoch++
      this.#entries?.delete(changeId)
    }
  }
}

const isStringList = (value: unknown): boolean => Array.isArray(value) && value.every((item) => typeof item === 'string')
const isCount = (value: unknown): boolean => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0

/** Whether a store returned an owner Keyward can act on (else it fails closed, as for records). */
function isWellFormedOwner(owner: unknown, id: string): owner is OwnerRecord {
  if (owner === null || typeof owner !== 'object') return false
  const o = owner as Record<keyof OwnerRecord, unknown>
  return (
    o.id === id &&
    Array.isArray(o.rateLimits) &&
    o.rateLimits.every(
      (l: { name?: unknown; limit?: unknown; windowMs?: unknown }) =>
        typeof l?.name === 'string' && isCount(l.limit) && isCount(l.windowMs),
    ) &&
    (o.credits === null || (typeof o.credits === 'object' && typeof (o.credits as { remaining?: unknown }).remaining === 'number')) &&
    (o.maxKeys === null || isCount(o.maxKeys)) &&
    (o.scopes === null || isStringList(o.scopes)) &&
    (o.allowedIps === null || isStringList(o.allowedIps))
  )
}
