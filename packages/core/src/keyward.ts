import {
  ClosedError,
  ConflictError,
  InvalidInputError,
  InvalidStateError,
  KeyNotFoundError,
  StoreUnavailableError,
} from './errors.js'
import type { KeywardEvent } from './events.js'
import { currentDefaultLogger, withLogger } from './logging.js'
import { KeyFormat } from './format.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { cryptoRandom } from './lib/base62.js'
import { decodeDigest, DIGEST_LENGTH, digestsEqual, type Digester } from './lib/digest.js'
import { isWellFormedRecord } from './lib/record-check.js'
import { LastUsedWriter } from './lib/last-used.js'
import { ExpiringLru } from './lib/lru.js'
import { DigesterSet, type DigestTrust } from './lib/peppers.js'
import { Limits, rateCounterName } from './limits.js'
import { checkScopeRequirement, unmetScopes } from './scopes.js'
import type { ApiKeyInfo, ApiKeyPatch, ApiKeyRecord, Credits, KeyStore, RateLimit, ScopeGrant } from './types.js'
import {
  validateCredits,
  validateDuration,
  validateExpiresAt,
  validateMetadata,
  validateName,
  validateOptionsBag,
  validateOwnerId,
  validateRateLimit,
  validateScopes,
} from './validate.js'
import { failure, type VerifyFailure, type VerifyResult, type VerifySuccess } from './verify-result.js'
import type { CreateKeyInput, CreatedKey, Keyward, KeywardOptions, ListOptions, RotateOptions, UpdateKeyInput, VerifyOptions } from './api.js'
import { configRateLimit, configThrottle, optionNumber } from './lib/config.js'
import { keyBytes, keysEqual } from './lib/digest.js'
import { isDuplicateId, toStoreError } from './lib/store-errors.js'
import { deepFreeze, statusOf } from './lib/view.js'

interface CacheEntry<S extends string> {
  /** Null for an unknown id: a decoy entry, shaped like a real one, that nothing can match. */
  record: ApiKeyRecord | null
  /** Decoded stored digest; null when the stored one is corrupt (such a record never verifies). */
  digest: Uint8Array | null
  /** The digester the record names (resolved once, so every verification does the same work). */
  digester: Digester
  /** Epoch milliseconds after which a match no longer counts (see `DigesterSet.trustFor`). */
  acceptUntil: number
  /** Frozen public view returned by every successful verify; made on the first one. */
  info: ApiKeyInfo<S> | null
  /**
   * The key that last matched this record's digest (while cached), so a repeat verification is a
   * constant-time string compare instead of a digest. Never stored, logged or returned.
   */
  verifiedKey: Uint8Array | undefined
}

const ID_CHARS_RE = /^[0-9A-Za-z]+$/
const MAX_LIST_LIMIT = 100
const STORE_RETRY_AFTER_MS = 1_000
/** How far a key in its rotation grace period looks along its chain for the budget it shares. */
const MAX_ROTATION_HOPS = 8
/** Unknown-id (decoy) entries kept, apart from real records so a flood of made-up ids evicts none. */
const MAX_DECOYS = 10_000

const CREATE_FIELDS = ['name', 'ownerId', 'scopes', 'expiresAt', 'metadata', 'rateLimit', 'credits'] as const
const UPDATE_FIELDS = ['name', 'scopes', 'expiresAt', 'metadata', 'rateLimit', 'credits'] as const
const ROTATE_FIELDS = ['gracePeriodMs', 'expiresAt'] as const
const LIST_FIELDS = ['ownerId', 'includeRevoked', 'limit', 'cursor'] as const
const VERIFY_FIELDS = new Set(['scopes', 'cost', 'source'])

/**
 * Create a Keyward instance for one deployment prefix and store.
 *
 * @example
 * import { createKeyward, MemoryKeyStore } from '@keyward/core'
 *
 * const keyward = createKeyward<'messages:send' | 'contacts:sync'>({
 *   prefix: 'acme_live',
 *   store: new MemoryKeyStore(),
 *   pepper: process.env.KEYWARD_PEPPER, // ≥ 32 bytes
 * })
 * const { key, info } = await keyward.create({ name: 'HubSpot CRM sync', scopes: ['contacts:*'] })
 * const result = await keyward.verify(key, { scopes: ['contacts:sync'] })
 * if (!result.ok) return reply(401, result.message)
 */
export function createKeyward<S extends string = string>(options: KeywardOptions): Keyward<S> {
  return new KeywardInstance<S>(options)
}

class KeywardInstance<S extends string> implements Keyward<S> {
  readonly prefix: string
  readonly pattern: RegExp
  readonly #format: KeyFormat
  readonly #store: KeyStore
  readonly #digesters: DigesterSet
  readonly #now: () => number
  readonly #onEvent: ((event: KeywardEvent) => void) | undefined
  readonly #cache: ExpiringLru<CacheEntry<S>> | null
  readonly #decoys: ExpiringLru<CacheEntry<S>> | null
  /** Records whose digest is being re-made under the current pepper (one write each at a time). */
  readonly #upgrading = new Set<string>()
  readonly #ttlMs: number
  readonly #negativeTtlMs: number
  /** Bumped by every invalidation, so a store read that raced one is not cached. */
  #cacheEpoch = 0
  readonly #lastUsed: LastUsedWriter | null
  readonly #limits: Limits
  readonly #scratch = new Uint8Array(DIGEST_LENGTH)
  readonly #decoy: CacheEntry<S>
  /** A well-formed record no key matches: what an unknown id is checked against. */
  readonly #decoyRecord: ApiKeyRecord
  readonly #rememberKeys: boolean
  #unsubscribe: Promise<(() => Promise<void>) | undefined> = Promise.resolve(undefined)
  #closed = false

  constructor(options: KeywardOptions) {
    if (!options || typeof options !== 'object') throw new TypeError('createKeyward needs an options object')
    this.#format = new KeyFormat(options)
    this.prefix = this.#format.prefix
    this.pattern = this.#format.pattern
    const store = options.store
    for (const method of ['insert', 'findById', 'update', 'delete', 'list', 'touch'] as const)
      if (typeof store?.[method] !== 'function') throw new TypeError(`store must implement KeyStore: missing ${method}()`)
    this.#store = store
    this.#digesters = new DigesterSet(options)
    const current = this.#digesters.current
    this.#decoy = {
      record: null,
      digest: cryptoRandom(DIGEST_LENGTH),
      digester: current,
      acceptUntil: Number.NEGATIVE_INFINITY,
      info: null,
      // Same length as a key, but '!' can never appear in one: no input ever equals it.
      verifiedKey: keyBytes('!'.repeat(this.#format.keyLength)),
    }
    this.#decoyRecord = decoyRecord(this.prefix, current, bytesToHex(this.#decoy.digest!))
    this.#now = options.now ?? Date.now
    if (options.hooks?.onEvent !== undefined && typeof options.hooks.onEvent !== 'function')
      throw new TypeError('hooks.onEvent must be a function')
    if (options.logger !== undefined && typeof options.logger !== 'function') throw new TypeError('logger must be a function')
    this.#onEvent = withLogger(options.hooks?.onEvent, options.logger ?? currentDefaultLogger())

    const cache = options.cache ?? {}
    this.#rememberKeys = cache !== false && cache.rememberVerifiedKeys !== false
    if (cache === false) {
      this.#cache = this.#decoys = null
      this.#ttlMs = this.#negativeTtlMs = 0
    } else {
      this.#ttlMs = optionNumber('cache.ttlMs', cache.ttlMs, 30_000, 0)
      this.#negativeTtlMs = optionNumber('cache.negativeTtlMs', cache.negativeTtlMs, 1_000, 0)
      const max = optionNumber('cache.max', cache.max, 10_000, 1)
      this.#cache = new ExpiringLru(max)
      this.#decoys = new ExpiringLru(Math.min(max, MAX_DECOYS))
      if (cache.rememberVerifiedKeys !== undefined && typeof cache.rememberVerifiedKeys !== 'boolean')
        throw new TypeError('cache.rememberVerifiedKeys must be a boolean')
      if (typeof store.subscribe === 'function') this.#subscribe(store.subscribe.bind(store), 0)
    }

    this.#limits = new Limits(store, {
      rateLimit: options.rateLimit === undefined ? undefined : configRateLimit(options.rateLimit),
      throttle: configThrottle(options.throttle),
    })

    const lastUsed = options.lastUsed ?? {}
    this.#lastUsed =
      lastUsed === false
        ? null
        : new LastUsedWriter({
            intervalMs: optionNumber('lastUsed.intervalMs', lastUsed.intervalMs, 60_000, 1),
            write: (entries) => this.#store.touch(entries),
            onError: () => this.#emit({ type: 'store.error', operation: 'last_used' }),
          })
  }

  looksLikeKey(candidate: unknown): boolean {
    return this.#format.looksLikeKey(candidate)
  }

  redact(text: string): string {
    return this.#format.redact(text)
  }

  // ── verification (hot path) ────────────────────────────────────────────────────────────────

  async verify(key: unknown, options?: VerifyOptions<S>): Promise<VerifyResult<S>> {
    // Options are the application's own code: a wrong shape is a programming error and throws.
    // The key is the caller's input: whatever it is, verify answers with a result.
    if (options !== undefined) checkVerifyOptionNames(options)
    const requirement = checkScopeRequirement(options?.scopes)
    const source = options?.source
    const cost = options?.cost ?? 1
    if (!Number.isSafeInteger(cost) || cost < 0) throw new TypeError(`cost must be a whole number, 0 or more, got ${String(cost)}`)
    const now = this.#now()
    const sourceWait = this.#limits.throttled('source', source, now)
    if (sourceWait !== undefined) return this.#fail(failure('rate_limited', { retryAfterMs: sourceWait }), undefined, source)

    const parsed = this.#format.parse(key)
    // Shape failures cost nothing and touch no store, so they are not counted for throttling.
    if (parsed === null) return this.#fail(failure('malformed'))
    if (!parsed.ownPrefix)
      return this.#fail(
        failure('invalid', {
          message: `The API key was issued for another environment or service (it does not start with "${this.prefix}_").`,
        }),
        parsed.id,
      )
    if (this.#closed) return this.#fail(failure('store_unavailable', { retryAfterMs: STORE_RETRY_AFTER_MS }), parsed.id)
    const keyWait = this.#limits.throttled('key', parsed.id, now)
    if (keyWait !== undefined) return this.#fail(failure('rate_limited', { retryAfterMs: keyWait }), parsed.id)

    let entry: CacheEntry<S> | undefined
    if (this.#cache !== null) {
      // Both caches are consulted for every id, so a hit costs the same whether the id exists or not.
      const real = this.#cache.get(parsed.id, now)
      const decoy = this.#decoys!.get(parsed.id, now)
      entry = real ?? decoy
    }
    if (entry === undefined) {
      try {
        entry = await this.#load(parsed.id, now)
      } catch {
        return this.#storeFailure(parsed.id)
      }
    }

    // Equal work whether or not the id exists: an unknown id gets a decoy entry of the same shape
    // (current digester, random digest, remembered bytes that no key can equal), cached like a real
    // one. A key equal to the one that last matched this record is accepted after a constant-time
    // compare; anything else reserves a throttling slot (so a burst of guesses cannot outrun the
    // counter), then costs one digest and one digest compare.
    // (Without remembered keys there is nothing to compare for anyone: the step is skipped for all.)
    let matched = this.#rememberKeys && keysEqual(key as string, entry.verifiedKey ?? this.#decoy.verifiedKey!) && now < entry.acceptUntil
    if (!matched) {
      const reservation = this.#limits.reserve(source, parsed.id, now)
      if ('retryAfterMs' in reservation) return this.#fail(failure('rate_limited', reservation), parsed.id, source)
      entry.digester.digestInto(key as string, this.#scratch)
      matched = digestsEqual(this.#scratch, entry.digest ?? this.#decoy.digest!) && now < entry.acceptUntil
      if (!matched || entry.record === null) {
        await this.#limits.recordFailure(reservation, now)
        return this.#fail(failure('invalid'), parsed.id, source)
      }
      this.#limits.release(reservation)
      if (this.#rememberKeys) entry.verifiedKey = keyBytes(key as string)
      if (entry.digester !== this.#digesters.current) this.#upgradeDigest(entry.record, key as string)
    }
    const record = entry.record!

    const state = statusOf(record, now)
    if (state !== 'active') return this.#fail(failure(state, { keyId: record.id }), record.id)
    if (requirement.scopes.length > 0) {
      const missing = unmetScopes(record.scopes, requirement)
      if (missing.length > 0) return this.#fail(insufficientScope(record.id, missing, requirement.mode), record.id)
    }

    const success: VerifySuccess<S> = { ok: true, key: (entry.info ??= deepFreeze(this.#info(record, now))) }
    if (record.rotatedToId !== null || record.rateLimit !== null || record.credits !== null || this.#limits.defaultRateLimit !== null) {
      let admission
      try {
        const budget = record.rotatedToId === null ? record : await this.#budgetOf(record, now)
        admission = await this.#limits.admit(record.id, budget, cost, now)
      } catch {
        return this.#storeFailure(record.id)
      }
      if ('ok' in admission) return this.#fail(admission, record.id)
      if (admission.rateLimit) success.rateLimit = admission.rateLimit
      if (admission.creditsRemaining !== undefined) success.creditsRemaining = admission.creditsRemaining
    }

    this.#lastUsed?.record(record.id, now)
    if (this.#onEvent) this.#emit({ type: 'key.verified', keyId: record.id, ownerId: record.ownerId })
    return success
  }

  /**
   * The record whose limits and credits a rotated key spends: the newest key of its rotation chain
   * (a key and its successors share one budget). A broken chain (a successor deleted) ends at the
   * last record found.
   */
  async #budgetOf(record: ApiKeyRecord, now: number): Promise<ApiKeyRecord> {
    let budget = record
    for (let hop = 0; hop < MAX_ROTATION_HOPS && budget.rotatedToId !== null; hop++) {
      const next = this.#cache?.get(budget.rotatedToId, now) ?? (await this.#load(budget.rotatedToId, now))
      if (next.record === null || next.record.rotatedFromId !== budget.id) break
      budget = next.record
    }
    return budget
  }

  /**
   * Re-digest a record made under an older pepper (or none, inside the migration window) under the
   * current one, after a successful verification: one conditional write, off the request path.
   */
  #upgradeDigest(record: ApiKeyRecord, key: string): void {
    if (this.#upgrading.has(record.id)) return
    this.#upgrading.add(record.id)
    const current = this.#digesters.current
    const patch: ApiKeyPatch = { digest: current.digestHex(key), algorithm: current.algorithm, pepperId: current.pepperId }
    this.#store
      .update(record.id, patch, { expectedRevision: record.revision })
      .then(
        (updated) => {
          this.#invalidate(record.id)
          if (updated !== null) this.#emit({ type: 'key.digest_upgraded', keyId: record.id, ownerId: record.ownerId })
        },
        () => this.#emit({ type: 'store.error', operation: 'digest_upgrade', keyId: record.id }),
      )
      .finally(() => this.#upgrading.delete(record.id))
  }

  #storeFailure(keyId: string): VerifyFailure {
    this.#emit({ type: 'store.error', operation: 'verify', keyId })
    return this.#fail(failure('store_unavailable', { retryAfterMs: STORE_RETRY_AFTER_MS }), keyId)
  }

  /**
   * Read a record into the cache. An unknown id, or a record of another deployment's prefix, gets
   * a decoy entry; a record the store returned malformed rejects (the caller fails closed).
   */
  async #load(id: string, now: number): Promise<CacheEntry<S>> {
    const epoch = this.#cacheEpoch
    const found = await this.#store.findById(id)
    const record = found === null ? null : this.#checked(found, id, 'verify')
    // An unknown id goes through the same checks and decoding, on a decoy record of the same shape,
    // so that "no such id" costs what "wrong secret" costs (apart from the store's own lookup).
    const subject = record ?? this.#checked(this.#decoyRecord, this.#decoyRecord.id, 'verify')!
    const trust = this.#trustFor(subject)
    const entry: CacheEntry<S> = {
      record,
      digest: decodeDigest(subject.digest),
      digester: trust.digester,
      acceptUntil: record === null ? Number.NEGATIVE_INFINITY : trust.acceptUntil,
      info: null,
      verifiedKey: record === null ? this.#decoy.verifiedKey!.slice() : undefined,
    }
    if (epoch === this.#cacheEpoch)
      if (record === null) this.#decoys?.set(id, entry, now + this.#negativeTtlMs)
      else this.#cache?.set(id, entry, now + this.#ttlMs)
    return entry
  }

  /**
   * `record` when it is well formed and of this deployment; null for another prefix (two
   * deployments may share a store, and neither acts on the other's keys). A malformed record is a
   * store failure: reported, and thrown so the caller fails closed.
   */
  #checked(record: unknown, id: string, operation: string): ApiKeyRecord | null {
    if (!isWellFormedRecord(record, id)) {
      this.#emit({ type: 'store.error', operation, keyId: id })
      throw new StoreUnavailableError(operation, { cause: new TypeError(`the store returned a malformed record for id "${id}"`) })
    }
    return record.prefix === this.prefix ? record : null
  }

  #fail(result: VerifyFailure, keyId?: string, source?: string): VerifyFailure {
    if (this.#onEvent)
      this.#emit({ type: 'key.verify_failed', code: result.code, ...(keyId && { keyId }), ...(source !== undefined && { source }) })
    return result
  }

  #invalidate(id: string): void {
    this.#cacheEpoch++
    if (id === '*') {
      this.#cache?.clear()
      this.#decoys?.clear()
    } else {
      this.#cache?.delete(id)
      this.#decoys?.delete(id)
    }
  }

  /** Listen for changes; after a failure, retry with backoff (the cache TTL bounds staleness meanwhile). */
  #subscribe(subscribe: NonNullable<KeyStore['subscribe']>, failures: number): void {
    this.#unsubscribe = subscribe((change) => this.#invalidate(change.id)).catch(() => {
      this.#emit({ type: 'store.error', operation: 'subscribe' })
      if (!this.#closed) {
        const timer = setTimeout(() => !this.#closed && this.#subscribe(subscribe, failures + 1), Math.min(30_000, 500 * 2 ** failures))
        ;(timer as { unref?: () => void }).unref?.()
      }
      return undefined
    })
  }

  #emit(event: Omit<KeywardEvent, 'at'>): void {
    if (!this.#onEvent) return
    try {
      this.#onEvent({ ...event, at: new Date(this.#now()) })
    } catch {
      // A failing audit hook must never break verification or management.
    }
  }

  // ── management ────────────────────────────────────────────────────────────────────────────

  async create(input: CreateKeyInput<S>): Promise<CreatedKey<S>> {
    this.#assertOpen()
    const fields = validateOptionsBag(input, 'input', CREATE_FIELDS)
    const now = this.#now()
    const base = {
      name: validateName(fields.name),
      ownerId: validateOwnerId(fields.ownerId),
      scopes: validateScopes(fields.scopes),
      metadata: validateMetadata(fields.metadata),
      expiresAt: validateExpiresAt(fields.expiresAt, now),
      rateLimit: this.#supportedRateLimit(fields.rateLimit),
      credits: this.#supportedCredits(fields.credits, now),
    }
    const { key, record } = await this.#insertNew(base, now, null)
    this.#emit({ type: 'key.created', keyId: record.id, ownerId: record.ownerId })
    return { key, info: this.#info(record, now) }
  }

  /**
   * Mint a key and store its record. A random id is retried on the (astronomically unlikely)
   * duplicate; an id reserved in advance (rotation) is not.
   */
  async #insertNew(
    base: Pick<ApiKeyRecord, 'name' | 'ownerId' | 'scopes' | 'metadata' | 'expiresAt' | 'rateLimit' | 'credits'>,
    now: number,
    rotatedFromId: string | null,
    reservedId?: string,
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    const digester = this.#digesters.current
    for (let attempt = 1; ; attempt++) {
      const { key, id } = this.#format.generate(cryptoRandom, reservedId)
      const record: ApiKeyRecord = {
        id,
        prefix: this.prefix,
        digest: digester.digestHex(key),
        algorithm: digester.algorithm,
        pepperId: digester.pepperId,
        hint: key.slice(-4),
        ...base,
        createdAt: new Date(now),
        updatedAt: new Date(now),
        disabledAt: null,
        revokedAt: null,
        lastUsedAt: null,
        rotatedFromId,
        rotatedToId: null,
        revision: 0,
      }
      try {
        await this.#store.insert(record)
        this.#invalidate(id)
        return { key, record }
      } catch (error) {
        if (isDuplicateId(error) && reservedId === undefined && attempt < 3) continue
        throw toStoreError('create', error)
      }
    }
  }

  async get(id: string): Promise<ApiKeyInfo<S> | null> {
    this.#assertOpen()
    if (!this.#isIdShaped(id)) return null
    const record = await this.#find(id, 'get')
    return record && this.#info(record, this.#now())
  }

  async identify(key: string): Promise<ApiKeyInfo<S> | null> {
    this.#assertOpen()
    const parsed = this.#format.parse(key)
    if (parsed === null || !parsed.ownPrefix) return null
    const record = await this.#find(parsed.id, 'identify')
    if (record === null) return null
    const now = this.#now()
    const trust = this.#trustFor(record)
    const computed = new Uint8Array(DIGEST_LENGTH)
    trust.digester.digestInto(key, computed)
    return digestsEqual(computed, decodeDigest(record.digest)!) && now < trust.acceptUntil ? this.#info(record, now) : null
  }

  #trustFor(record: ApiKeyRecord): DigestTrust {
    return this.#digesters.trustFor(record.algorithm, record.pepperId)
  }

  async list(options: ListOptions = {}): Promise<{ items: ApiKeyInfo<S>[]; nextCursor?: string }> {
    this.#assertOpen()
    const fields = validateOptionsBag(options, 'options', LIST_FIELDS)
    const limit = fields.limit ?? 50
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT)
      throw new InvalidInputError('limit', `must be an integer from 1 to ${MAX_LIST_LIMIT}`)
    if (fields.cursor !== undefined && typeof fields.cursor !== 'string')
      throw new InvalidInputError('cursor', 'must be a string returned by list()')
    const ownerId = fields.ownerId === undefined ? undefined : validateOwnerId(fields.ownerId) ?? undefined
    let page
    try {
      page = await this.#store.list({
        ...(ownerId !== undefined && { ownerId }),
        prefix: this.prefix,
        includeRevoked: fields.includeRevoked === true,
        limit,
        ...(fields.cursor !== undefined && { cursor: fields.cursor as string }),
      })
    } catch (error) {
      throw toStoreError('list', error)
    }
    const now = this.#now()
    // A store that ignores `prefix` (written before it existed) still shows no other deployment's keys.
    const items = page.items
      .filter((record) => this.#checked(record, (record as { id?: string })?.id as string, 'list') !== null)
      .map((record) => this.#info(record, now))
    return page.nextCursor === undefined ? { items } : { items, nextCursor: page.nextCursor }
  }

  async update(id: string, input: UpdateKeyInput<S>): Promise<ApiKeyInfo<S>> {
    this.#assertOpen()
    const fields = validateOptionsBag(input, 'input', UPDATE_FIELDS)
    const now = this.#now()
    const patch: ApiKeyPatch = {}
    if (fields.name !== undefined) patch.name = validateName(fields.name)
    if (fields.scopes !== undefined) patch.scopes = validateScopes(fields.scopes)
    if (fields.metadata !== undefined) patch.metadata = validateMetadata(fields.metadata)
    if (fields.expiresAt !== undefined) patch.expiresAt = validateExpiresAt(fields.expiresAt, now)
    if (fields.rateLimit !== undefined) patch.rateLimit = this.#supportedRateLimit(fields.rateLimit)
    if (fields.credits !== undefined) patch.credits = this.#supportedCredits(fields.credits, now)
    const record = await this.#change(id, 'update', now, (current) => {
      if (current.revokedAt !== null) throw new InvalidStateError(id, `API key "${id}" is revoked and can no longer be changed.`)
      if (current.rotatedToId !== null) assertGraceUnchanged(current, patch)
      return patch
    })
    this.#emit({ type: 'key.updated', keyId: id, ownerId: record.ownerId })
    return this.#info(record, now)
  }

  async disable(id: string): Promise<ApiKeyInfo<S>> {
    const now = this.#now()
    const record = await this.#change(id, 'disable', now, (current) => {
      if (current.revokedAt !== null) throw new InvalidStateError(id, `API key "${id}" is revoked; it cannot be disabled.`)
      return current.disabledAt === null ? { disabledAt: new Date(now) } : null
    })
    this.#emit({ type: 'key.disabled', keyId: id, ownerId: record.ownerId })
    return this.#info(record, now)
  }

  async enable(id: string): Promise<ApiKeyInfo<S>> {
    const now = this.#now()
    const record = await this.#change(id, 'enable', now, (current) => {
      if (current.revokedAt !== null) throw new InvalidStateError(id, `API key "${id}" is revoked; it cannot be enabled again.`)
      return current.disabledAt === null ? null : { disabledAt: null }
    })
    this.#emit({ type: 'key.enabled', keyId: id, ownerId: record.ownerId })
    return this.#info(record, now)
  }

  async revoke(id: string): Promise<ApiKeyInfo<S>> {
    const now = this.#now()
    const record = await this.#change(id, 'revoke', now, (current) =>
      current.revokedAt === null ? { revokedAt: new Date(now) } : null,
    )
    this.#emit({ type: 'key.revoked', keyId: id, ownerId: record.ownerId })
    return this.#info(record, now)
  }

  async delete(id: string): Promise<void> {
    this.#assertOpen()
    // Found first: a record of another deployment's prefix is not this instance's to delete.
    await this.#require(id, 'delete')
    let existed = false
    try {
      existed = await this.#store.delete(id)
    } catch (error) {
      throw toStoreError('delete', error)
    } finally {
      this.#invalidate(id)
    }
    if (!existed) throw new KeyNotFoundError(this.#idText(id))
    this.#emit({ type: 'key.deleted', keyId: id })
  }

  /**
   * Replace a live key. The successor takes over the key's budget: its remaining credits move to
   * the successor in an atomic spend, the current rate-limit window's count is carried over, and
   * while the old key works out its grace period it spends from the successor's limits and
   * credits. Rotating never multiplies a budget.
   */
  async rotate(id: string, options: RotateOptions = {}): Promise<CreatedKey<S> & { previous: ApiKeyInfo<S> }> {
    this.#assertOpen()
    const fields = validateOptionsBag(options, 'options', ROTATE_FIELDS)
    const now = this.#now()
    const grace = validateDuration(fields.gracePeriodMs ?? 0, 'gracePeriodMs')
    const requestedExpiry = fields.expiresAt === undefined ? undefined : validateExpiresAt(fields.expiresAt, now)
    const old = await this.#require(id, 'rotate')
    const state = statusOf(old, now)
    if (state !== 'active') throw new InvalidStateError(id, `API key "${id}" is ${state}; only an active key can be rotated. Create a new key instead.`)
    if (old.rotatedToId !== null)
      throw new ConflictError(id, `API key "${id}" was already rotated; its successor is "${old.rotatedToId}".`)

    const oldExpiry = old.expiresAt !== null && old.expiresAt.getTime() < now + grace ? old.expiresAt : new Date(now + grace)
    // Reserve the rotation on the old record first (conditional on its revision): of two
    // concurrent rotations exactly one wins, and only the winner inserts a successor.
    const successorId = this.#format.newId(cryptoRandom)
    const claimed = await this.#storeUpdate(
      id,
      { rotatedToId: successorId, expiresAt: oldExpiry, updatedAt: new Date(now) },
      old.revision,
      'rotate',
    )
    if (claimed === null) throw new ConflictError(id, `API key "${id}" changed during rotation; it was not rotated. Try again.`)

    let created: { key: string; record: ApiKeyRecord }
    let credits: Credits | null = null
    try {
      credits = await this.#takeCredits(old, now)
      created = await this.#insertNew(
        {
          name: old.name,
          ownerId: old.ownerId,
          scopes: old.scopes,
          metadata: old.metadata,
          expiresAt: requestedExpiry !== undefined ? requestedExpiry : old.expiresAt,
          rateLimit: old.rateLimit,
          credits,
        },
        now,
        id,
        successorId,
      )
    } catch (error) {
      await this.#storeUpdate(
        id,
        { rotatedToId: null, expiresAt: old.expiresAt, updatedAt: new Date(now), ...(credits !== null && { credits }) },
        claimed.revision,
        'rotate',
      ).catch(() => undefined)
      throw error
    }
    await this.#carryRateWindow(old, successorId, now)
    this.#emit({ type: 'key.rotated', keyId: id, successorId, ownerId: old.ownerId })
    return { key: created.key, info: this.#info(created.record, now), previous: this.#info(claimed, now) }
  }

  /**
   * Move every credit left on `record` off it, atomically, and return them as the successor's
   * credits. Each step spends exactly what the store last said remains, so a spend racing the
   * rotation makes the step fail and retry with the new figure: no credit is counted twice.
   */
  async #takeCredits(record: ApiKeyRecord, now: number): Promise<Credits | null> {
    if (record.credits === null || !this.#limits.canSpendCredits) return record.credits
    let taken = 0
    let ask = record.credits.remaining
    let refilledAt = record.credits.refilledAt
    for (let attempt = 0; attempt < 20; attempt++) {
      const spend = await this.#store.spendCredits!(record.id, ask, now).catch((error: unknown) => {
        throw toStoreError('rotate', error)
      })
      if (spend === null) break
      if (spend.nextRefillAt !== null && record.credits.refill) refilledAt = spend.nextRefillAt - record.credits.refill.intervalMs
      if (spend.ok) taken += ask
      if (spend.remaining === 0) break
      ask = spend.remaining
    }
    return { remaining: taken, refill: record.credits.refill ?? null, ...(refilledAt !== undefined && { refilledAt }) }
  }

  /** Count the old key's use in the current rate-limit window against its successor, too. */
  async #carryRateWindow(old: ApiKeyRecord, successorId: string, now: number): Promise<void> {
    const rateLimit = old.rateLimit ?? this.#limits.defaultRateLimit
    if (rateLimit === null || !this.#limits.canRateLimit) return
    try {
      const { count } = await this.#store.incrementCounter!(rateCounterName(old.id), 0, rateLimit.windowMs, now)
      if (count > 0) await this.#store.incrementCounter!(rateCounterName(successorId), count, rateLimit.windowMs, now)
    } catch {
      this.#emit({ type: 'store.error', operation: 'rotate', keyId: old.id })
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#lastUsed?.flush()
    const unsubscribe = await this.#unsubscribe
    await unsubscribe?.().catch(() => undefined)
    this.#cache?.clear()
    this.#decoys?.clear()
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────────

  /** Read, decide a patch, write it conditionally; retried when a concurrent change wins. */
  async #change(
    id: string,
    operation: string,
    now: number,
    decide: (current: ApiKeyRecord) => ApiKeyPatch | null,
  ): Promise<ApiKeyRecord> {
    this.#assertOpen()
    for (let attempt = 1; ; attempt++) {
      const current = await this.#require(id, operation)
      const patch = decide(current)
      if (patch === null) return current
      const updated = await this.#storeUpdate(id, { ...patch, updatedAt: new Date(now) }, current.revision, operation)
      if (updated !== null) return updated
      if (attempt >= 5) throw new ConflictError(id, `API key "${id}" kept changing during ${operation}; try again.`)
    }
  }

  async #storeUpdate(id: string, patch: ApiKeyPatch, expectedRevision: number, operation: string): Promise<ApiKeyRecord | null> {
    try {
      return await this.#store.update(id, patch, { expectedRevision })
    } catch (error) {
      throw toStoreError(operation, error)
    } finally {
      this.#invalidate(id)
    }
  }

  /** The record of this deployment with this id, or null. Rejects on a store failure or a malformed record. */
  async #find(id: string, operation: string): Promise<ApiKeyRecord | null> {
    let found
    try {
      found = await this.#store.findById(id)
    } catch (error) {
      throw toStoreError(operation, error)
    }
    return found === null ? null : this.#checked(found, id, operation)
  }

  async #require(id: string, operation: string): Promise<ApiKeyRecord> {
    const record = this.#isIdShaped(id) ? await this.#find(id, operation) : null
    if (record === null) throw new KeyNotFoundError(this.#idText(id))
    return record
  }

  /**
   * An id argument as an error may show it: itself when it has an id's shape, else never echoed
   * (it may be a whole key pasted where an id belongs: then only its redacted form).
   */
  #idText(id: unknown): string {
    if (this.#isIdShaped(id)) return id
    const parsed = this.#format.parse(id)
    if (parsed !== null) return `${parsed.prefix}_${parsed.id.slice(0, 4)}…${(id as string).slice(-4)} (a whole key, not an id: pass ${parsed.id})`
    return typeof id === 'string' ? `(not a key id: ${id.length} characters)` : `(not a key id: ${typeof id})`
  }

  #supportedRateLimit(input: unknown): RateLimit | null {
    const rateLimit = validateRateLimit(input)
    if (rateLimit !== null && !this.#limits.canRateLimit)
      throw new InvalidInputError('rateLimit', 'this store cannot count requests (it has no incrementCounter)')
    return rateLimit
  }

  #supportedCredits(input: unknown, now: number): Credits | null {
    const credits = validateCredits(input)
    if (credits === null) return null
    if (!this.#limits.canSpendCredits) throw new InvalidInputError('credits', 'this store cannot spend credits (it has no spendCredits)')
    return credits.refill ? { ...credits, refilledAt: now } : credits
  }

  #isIdShaped(id: unknown): id is string {
    return typeof id === 'string' && id.length === this.#format.idLength && ID_CHARS_RE.test(id)
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError()
  }

  /** The public view. Fresh objects throughout: nothing a caller changes can reach the cached record. */
  #info(record: ApiKeyRecord, now: number): ApiKeyInfo<S> {
    return {
      id: record.id,
      prefix: record.prefix,
      hint: record.hint,
      redacted: `${record.prefix}_${record.id.slice(0, 4)}…${record.hint}`,
      name: record.name,
      ownerId: record.ownerId,
      scopes: [...record.scopes] as ScopeGrant<S>[],
      metadata: structuredClone(record.metadata),
      status: statusOf(record, now),
      createdAt: copyDate(record.createdAt),
      updatedAt: copyDate(record.updatedAt),
      expiresAt: copyDate(record.expiresAt),
      disabledAt: copyDate(record.disabledAt),
      revokedAt: copyDate(record.revokedAt),
      lastUsedAt: copyDate(record.lastUsedAt),
      rotatedFromId: record.rotatedFromId,
      rotatedToId: record.rotatedToId,
      rateLimit: record.rateLimit && { ...record.rateLimit },
      credits: record.credits && { ...record.credits, refill: record.credits.refill ? { ...record.credits.refill } : null },
    }
  }
}

/** A well-formed record with no key: unknown ids are loaded as if they had found it. */
function decoyRecord(prefix: string, digester: Digester, digest: string): ApiKeyRecord {
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
    credits: null,
    revision: 0,
  }
}

function copyDate<T extends Date | null>(date: T): T {
  return (date === null ? null : new Date(date.getTime())) as T
}

/** Refuse an unknown verify option (`scope` for `scopes` would otherwise check nothing). */
function checkVerifyOptionNames(options: object): void {
  if (options === null || typeof options !== 'object') throw new TypeError('verify options must be an object')
  for (const name in options)
    if (!VERIFY_FIELDS.has(name)) throw new TypeError(`unknown verify option ${JSON.stringify(name.slice(0, 40))}; expected scopes, cost or source`)
}

function insufficientScope(keyId: string, missing: string[], mode: 'all' | 'any'): VerifyFailure {
  const list = missing.map((scope) => `"${scope}"`).join(mode === 'any' ? ' or ' : ', ')
  return failure('insufficient_scope', {
    keyId,
    scope: missing[0]!,
    missingScopes: missing,
    message:
      missing.length === 1
        ? `The API key does not have the scope ${list} that this request needs.`
        : `The API key does not have the scopes ${list} that this request needs.`,
  })
}

/**
 * A key in its rotation grace period keeps what rotation gave it: its expiry may only come sooner,
 * and its limits and credits (its successor's now) are changed on the successor.
 */
function assertGraceUnchanged(current: ApiKeyRecord, patch: ApiKeyPatch): void {
  const id = current.id
  if (patch.rateLimit !== undefined || patch.credits !== undefined)
    throw new InvalidStateError(id, `API key "${id}" was rotated: it spends its successor's limits and credits; change those on "${current.rotatedToId}".`)
  const ends = current.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY
  if (patch.expiresAt !== undefined && (patch.expiresAt === null || patch.expiresAt.getTime() > ends))
    throw new InvalidStateError(id, `API key "${id}" was rotated: its grace period can be shortened, not extended.`)
}
