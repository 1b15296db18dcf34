import { bytesToHex } from '@noble/hashes/utils.js'
import { StoreUnavailableError } from '../errors.js'
import { cryptoRandom } from '../lib/base62.js'
import { causeText } from '../lib/cause-text.js'
import { decodeDigest, DIGEST_LENGTH, type KeyDigester, keyBytes } from '../lib/digest.js'
import type { AllowList } from '../ip/index.js'
import { ExpiringLru } from '../lib/lru.js'
import type { DigesterSet, DigestTrust } from '../lib/peppers.js'
import { isWellFormedRecord } from './record-check.js'
import { toStoreError } from './store-errors.js'
import type { ApiKeyInfo, ApiKeyRecord, KeyStore } from '../types.js'
import type { EventSink } from './events.js'

/** One cached record, or a decoy for an unknown id: both have exactly this shape. */
export interface CacheEntry<S extends string> {
  /** Null for an unknown id: a decoy entry, shaped like a real one, that nothing can match. */
  record: ApiKeyRecord | null
  /** The decoded stored digest. */
  digest: Uint8Array | null
  /** The digester the record names (resolved once, so every verification does the same work). */
  digester: KeyDigester
  /** Epoch milliseconds after which a match no longer counts (see `DigesterSet.trustFor`). */
  acceptUntil: number
  /** Frozen public view returned by every successful verify; made on the first one. */
  info: ApiKeyInfo<S> | null
  /** The owner revision `info`'s effective scopes were made with (-1: no owner settings). */
  infoOwnerRevision: number
  /** The record's compiled allow-list, made on first use. */
  allowList: AllowList | undefined
  /**
   * The key that last matched this record's digest (while cached), so a repeat verification is a
   * constant-time string compare instead of a digest. Never stored, logged or returned.
   */
  verifiedKey: Uint8Array | undefined
}

export interface RecordCacheOptions {
  /** Told of every invalidation too (owners are named `owner:<id>` on the change channel). */
  owners: { invalidate(id: string): void }
  prefix: string
  keyLength: number
  store: KeyStore
  digesters: DigesterSet
  events: EventSink
  /** False: no cache, every verification reads the store. */
  enabled: boolean
  max: number
  ttlMs: number
  negativeTtlMs: number
}

/** Unknown-id (decoy) entries kept, apart from real records so a flood of made-up ids evicts none. */
const MAX_DECOYS = 10_000

/**
 * Records by id for the verification path: a bounded LRU with a TTL, a separate bounded set of
 * decoy entries for unknown ids, invalidation by this instance's writes and by the store's change
 * channel. Also the one place that checks what a store returns before anything acts on it.
 */
export class RecordCache<S extends string> {
  /** Never matches: its digest is random and its remembered key has a character no key has. */
  readonly decoy: CacheEntry<S>
  readonly #prefix: string
  readonly #store: KeyStore
  readonly #digesters: DigesterSet
  readonly #events: EventSink
  readonly #entries: ExpiringLru<CacheEntry<S>> | null
  readonly #decoys: ExpiringLru<CacheEntry<S>> | null
  readonly #ttlMs: number
  readonly #negativeTtlMs: number
  readonly #owners: RecordCacheOptions['owners']
  /** A well-formed record no key matches: what an unknown id is checked against. */
  readonly #decoyRecord: ApiKeyRecord
  /** Bumped by every invalidation, so a store read that raced one is not cached. */
  #epoch = 0
  #unsubscribe: Promise<(() => Promise<void>) | undefined> = Promise.resolve(undefined)
  #closed = false

  constructor(options: RecordCacheOptions) {
    this.#prefix = options.prefix
    this.#owners = options.owners
    this.#store = options.store
    this.#digesters = options.digesters
    this.#events = options.events
    this.#ttlMs = options.ttlMs
    this.#negativeTtlMs = options.negativeTtlMs
    this.#entries = options.enabled ? new ExpiringLru(options.max) : null
    this.#decoys = options.enabled ? new ExpiringLru(Math.min(options.max, MAX_DECOYS)) : null
    const current = options.digesters.current
    const digest = cryptoRandom(DIGEST_LENGTH)
    this.decoy = {
      record: null,
      digest,
      digester: current,
      acceptUntil: Number.NEGATIVE_INFINITY,
      info: null,
      // Every entry has every field from the start: one object shape keeps the verify path monomorphic.
      infoOwnerRevision: -1,
      allowList: undefined,
      // Same length as a key, but '!' can never appear in one: no input ever equals it.
      verifiedKey: keyBytes('!'.repeat(options.keyLength)),
    }
    this.#decoyRecord = decoyRecord(this.#prefix, current, bytesToHex(digest))
    const store = options.store
    if (options.enabled && typeof store.subscribe === 'function') this.#subscribe(store.subscribe.bind(store), 0)
  }

  /** The cached entry for `id`, real or decoy. Both caches are consulted, so a hit costs the same either way. */
  lookup(id: string, now: number): CacheEntry<S> | undefined {
    if (this.#entries === null) return undefined
    const real = this.#entries.get(id, now)
    const decoy = this.#decoys!.get(id, now)
    return real ?? decoy
  }

  /**
   * Read a record into the cache. An unknown id, or a record of another deployment's prefix, gets
   * a decoy entry; a record the store returned malformed rejects (the caller fails closed).
   */
  async load(id: string, now: number): Promise<CacheEntry<S>> {
    const epoch = this.#epoch
    const found = await this.#store.findById(id)
    const record = found === null ? null : this.checked(found, id, 'verify')
    // An unknown id goes through the same checks and decoding, on a decoy record of the same shape,
    // so that "no such id" costs what "wrong secret" costs (apart from the store's own lookup).
    const subject = record ?? this.checked(this.#decoyRecord, this.#decoyRecord.id, 'verify')!
    const trust = this.trustFor(subject)
    const entry: CacheEntry<S> = {
      record,
      digest: decodeDigest(subject.digest),
      digester: trust.digester,
      acceptUntil: record === null ? Number.NEGATIVE_INFINITY : trust.acceptUntil,
      info: null,
      infoOwnerRevision: -1,
      allowList: undefined,
      verifiedKey: record === null ? this.decoy.verifiedKey!.slice() : undefined,
    }
    if (epoch === this.#epoch)
      if (record === null) this.#decoys?.set(id, entry, now + this.#negativeTtlMs)
      else this.#entries?.set(id, entry, now + this.#ttlMs)
    return entry
  }

  /** The entry for `id`, from memory or the store. Rejects when the store fails. */
  async get(id: string, now: number): Promise<CacheEntry<S>> {
    return this.lookup(id, now) ?? (await this.load(id, now))
  }

  /** The record of this deployment with this id, read from the store (not the cache), or null. */
  async find(id: string, operation: string): Promise<ApiKeyRecord | null> {
    let found: ApiKeyRecord | null
    try {
      found = await this.#store.findById(id)
    } catch (error) {
      throw toStoreError(operation, error)
    }
    return found === null ? null : this.checked(found, id, operation)
  }

  /**
   * `record` when it is well formed and of this deployment; null for another prefix (two
   * deployments may share a store, and neither acts on the other's keys). A malformed record is a
   * store failure: reported, and thrown so the caller fails closed.
   */
  checked(record: unknown, id: string, operation: string): ApiKeyRecord | null {
    if (!isWellFormedRecord(record, id)) {
      const cause = 'the store returned a malformed record'
      this.#events.emit({ type: 'store.error', operation, keyId: id, cause })
      throw new StoreUnavailableError(operation, { cause: new TypeError(cause) })
    }
    return record.prefix === this.#prefix ? record : null
  }

  /** How a record's digest is checked: by the digester it names, as far as the configuration trusts it. */
  trustFor(record: ApiKeyRecord): DigestTrust {
    return this.#digesters.trustFor(record.algorithm, record.pepperId, record)
  }

  /** Forget `id` (or everything, for `'*'`): a write through this instance or a change from the store. */
  invalidate(id: string): void {
    this.#epoch++
    this.#owners.invalidate(id)
    if (id === '*') {
      this.#entries?.clear()
      this.#decoys?.clear()
    } else {
      this.#entries?.delete(id)
      this.#decoys?.delete(id)
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    const unsubscribe = await this.#unsubscribe
    await unsubscribe?.().catch(() => undefined)
    this.invalidate('*')
  }

  /** Listen for changes; after a failure, retry with backoff (the cache TTL bounds staleness meanwhile). */
  #subscribe(subscribe: NonNullable<KeyStore['subscribe']>, failures: number): void {
    this.#unsubscribe = subscribe((change) => this.invalidate(change.id)).catch((error: unknown) => {
      this.#events.emit({ type: 'store.error', operation: 'subscribe', cause: causeText(error) })
      if (!this.#closed) {
        const timer = setTimeout(() => !this.#closed && this.#subscribe(subscribe, failures + 1), Math.min(30_000, 500 * 2 ** failures))
        ;(timer as { unref?: () => void }).unref?.()
      }
      return undefined
    })
  }
}

/** A well-formed record with no key: unknown ids are loaded as if they had found it. */
function decoyRecord(prefix: string, digester: KeyDigester, digest: string): ApiKeyRecord {
  const epoch = new Date(0)
  return {
    id: '!',
    prefix,
    digest,
    algorithm: digester.algorithm,
    pepperId: digester.pepperId,
    hint: '!',
    name: '!',
    ownerId: null,
    scopes: [],
    metadata: {},
    createdAt: epoch,
    updatedAt: epoch,
    expiresAt: null,
    disabledAt: null,
    revokedAt: null,
    lastUsedAt: null,
    rotatedFromId: null,
    rotatedToId: null,
    rateLimit: null,
    rateLimits: null,
    credits: null,
    notBefore: null,
    roles: [],
    allowedIps: null,
    importedAt: null,
    legacyHash: null,
    revision: 0,
  }
}
