import {
  ClosedError,
  ConflictError,
  InvalidInputError,
  InvalidStateError,
  KeyNotFoundError,
} from './errors.js'
import type { KeywardEvent } from './events.js'
import { currentDefaultLogger, withLogger } from './logging.js'
import { KeyFormat } from './format.js'
import { cryptoRandom } from './lib/base62.js'
import { decodeDigest, DIGEST_LENGTH, digestsEqual, type Digester } from './lib/digest.js'
import { LastUsedWriter } from './lib/last-used.js'
import { ExpiringLru } from './lib/lru.js'
import { DigesterSet } from './lib/peppers.js'
import { Limits } from './limits.js'
import { missingScopes } from './scopes.js'
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
  /** Frozen public view returned by every successful verify. */
  info: ApiKeyInfo<S>
  /**
   * The key that last matched this record's digest (while cached), so a repeat verification is a
   * constant-time string compare instead of a digest. Never stored, logged or returned.
   */
  verifiedKey: Uint8Array | undefined
}

const ID_CHARS_RE = /^[0-9A-Za-z]+$/
const MAX_LIST_LIMIT = 100
const STORE_RETRY_AFTER_MS = 1_000

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
  readonly #ttlMs: number
  readonly #negativeTtlMs: number
  /** Bumped by every invalidation, so a store read that raced one is not cached. */
  #cacheEpoch = 0
  readonly #lastUsed: LastUsedWriter | null
  readonly #limits: Limits
  readonly #scratch = new Uint8Array(DIGEST_LENGTH)
  readonly #decoy: CacheEntry<S>
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
      record: null as never,
      digester: current,
      digest: cryptoRandom(DIGEST_LENGTH),
      info: null as never,
      // Same length as a key, but '!' can never appear in one: no input ever equals it.
      verifiedKey: keyBytes('!'.repeat(this.#format.keyLength)),
    }
    this.#now = options.now ?? Date.now
    if (options.hooks?.onEvent !== undefined && typeof options.hooks.onEvent !== 'function')
      throw new TypeError('hooks.onEvent must be a function')
    if (options.logger !== undefined && typeof options.logger !== 'function') throw new TypeError('logger must be a function')
    this.#onEvent = withLogger(options.hooks?.onEvent, options.logger ?? currentDefaultLogger())

    const cache = options.cache ?? {}
    this.#rememberKeys = cache !== false && cache.rememberVerifiedKeys !== false
    if (cache === false) {
      this.#cache = null
      this.#ttlMs = this.#negativeTtlMs = 0
    } else {
      this.#ttlMs = optionNumber('cache.ttlMs', cache.ttlMs, 30_000, 0)
      this.#negativeTtlMs = optionNumber('cache.negativeTtlMs', cache.negativeTtlMs, 1_000, 0)
      this.#cache = new ExpiringLru(optionNumber('cache.max', cache.max, 10_000, 1))
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
    const source = options?.source
    const cost = options?.cost ?? 1
    if (!Number.isSafeInteger(cost) || cost < 0) throw new RangeError(`cost must be a whole number, 0 or more, got ${String(cost)}`)
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

    let entry = this.#cache?.get(parsed.id, now)
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
    // compare; anything else costs one compare, one digest and one digest compare.
    // (Without remembered keys there is nothing to compare for anyone: the step is skipped for all.)
    let matched = this.#rememberKeys && keysEqual(key as string, entry.verifiedKey ?? this.#decoy.verifiedKey!)
    if (!matched) {
      entry.digester.digestInto(key as string, this.#scratch)
      matched = digestsEqual(this.#scratch, entry.digest ?? this.#decoy.digest!)
      if (matched && this.#rememberKeys) entry.verifiedKey = keyBytes(key as string)
    }
    if (!matched || entry.record === null || entry.digest === null)
      return this.#failAttempt(failure('invalid'), source, parsed.id, now)

    const record = entry.record
    const state = statusOf(record, now)
    if (state !== 'active') return this.#fail(failure(state, { keyId: record.id }), record.id)
    if (options?.scopes !== undefined && options.scopes.length > 0) {
      const missing = missingScopes(record.scopes, options.scopes)
      if (missing.length > 0)
        return this.#fail(
          failure('insufficient_scope', {
            keyId: record.id,
            scope: missing[0]!,
            missingScopes: missing,
            message:
              missing.length === 1
                ? `The API key does not have the scope "${missing[0]}" that this request needs.`
                : `The API key does not have the scopes ${missing.map((s) => `"${s}"`).join(', ')} that this request needs.`,
          }),
          record.id,
        )
    }

    const success: VerifySuccess<S> = { ok: true, key: entry.info }
    if (record.rateLimit !== null || record.credits !== null || this.#limits.defaultRateLimit !== null) {
      let admission
      try {
        admission = await this.#limits.admit(record, cost, now)
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

  /** A failed guess (checksum-valid key that did not match): counted for throttling, then reported. */
  async #failAttempt(result: VerifyFailure, source: string | undefined, keyId: string | undefined, now: number): Promise<VerifyFailure> {
    await this.#limits.recordFailure(source, keyId, now)
    return this.#fail(result, keyId, source)
  }

  #storeFailure(keyId: string): VerifyFailure {
    this.#emit({ type: 'store.error', operation: 'verify', keyId })
    return this.#fail(failure('store_unavailable', { retryAfterMs: STORE_RETRY_AFTER_MS }), keyId)
  }

  async #load(id: string, now: number): Promise<CacheEntry<S>> {
    const epoch = this.#cacheEpoch
    const record = await this.#store.findById(id)
    const entry: CacheEntry<S> =
      record === null || record.id !== id
        ? {
            record: null,
            digest: this.#decoy.digest!.slice(),
            digester: this.#digesters.current,
            info: null as never,
            verifiedKey: this.#decoy.verifiedKey!.slice(),
          }
        : {
            record,
            digest: decodeDigest(record.digest),
            digester: this.#digesterFor(record),
            info: deepFreeze(this.#info(record, now)),
            // Same properties in the same order as a decoy entry: one object shape for both.
            verifiedKey: undefined,
          }
    if (this.#cache !== null && epoch === this.#cacheEpoch)
      this.#cache.set(id, entry, now + (entry.record === null ? this.#negativeTtlMs : this.#ttlMs))
    return entry
  }

  #fail(result: VerifyFailure, keyId?: string, source?: string): VerifyFailure {
    if (this.#onEvent)
      this.#emit({ type: 'key.verify_failed', code: result.code, ...(keyId && { keyId }), ...(source !== undefined && { source }) })
    return result
  }

  #invalidate(id: string): void {
    this.#cacheEpoch++
    if (id === '*') this.#cache?.clear()
    else this.#cache?.delete(id)
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
    const fields = validateOptionsBag(input, 'input')
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
    const digest = record && decodeDigest(record.digest)
    if (!record || !digest) return null
    const computed = new Uint8Array(DIGEST_LENGTH)
    this.#digesterFor(record).digestInto(key, computed)
    return digestsEqual(computed, digest) ? this.#info(record, this.#now()) : null
  }

  /** The digester a record names; the current one when its pepper is no longer configured (it then never matches). */
  #digesterFor(record: ApiKeyRecord): Digester {
    return this.#digesters.forRecord(record.algorithm, record.pepperId) ?? this.#digesters.current
  }

  async list(options: ListOptions = {}): Promise<{ items: ApiKeyInfo<S>[]; nextCursor?: string }> {
    this.#assertOpen()
    const fields = validateOptionsBag(options, 'options')
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
        includeRevoked: fields.includeRevoked === true,
        limit,
        ...(fields.cursor !== undefined && { cursor: fields.cursor as string }),
      })
    } catch (error) {
      throw toStoreError('list', error)
    }
    const now = this.#now()
    const items = page.items.map((record) => this.#info(record, now))
    return page.nextCursor === undefined ? { items } : { items, nextCursor: page.nextCursor }
  }

  async update(id: string, input: UpdateKeyInput<S>): Promise<ApiKeyInfo<S>> {
    this.#assertOpen()
    const fields = validateOptionsBag(input, 'input')
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
    let existed = false
    if (this.#isIdShaped(id)) {
      try {
        existed = await this.#store.delete(id)
      } catch (error) {
        throw toStoreError('delete', error)
      } finally {
        this.#invalidate(id)
      }
    }
    if (!existed) throw new KeyNotFoundError(String(id))
    this.#emit({ type: 'key.deleted', keyId: id })
  }

  async rotate(id: string, options: RotateOptions = {}): Promise<CreatedKey<S> & { previous: ApiKeyInfo<S> }> {
    this.#assertOpen()
    const fields = validateOptionsBag(options, 'options')
    const now = this.#now()
    const grace = validateDuration(fields.gracePeriodMs ?? 0, 'gracePeriodMs')
    const requestedExpiry = fields.expiresAt === undefined ? undefined : validateExpiresAt(fields.expiresAt, now)
    const old = await this.#require(id, 'rotate')
    if (old.revokedAt !== null) throw new InvalidStateError(id, `API key "${id}" is revoked; create a new key instead.`)
    if (old.rotatedToId !== null)
      throw new ConflictError(id, `API key "${id}" was already rotated; its successor is "${old.rotatedToId}".`)

    const oldExpiry = old.expiresAt !== null && old.expiresAt.getTime() < now + grace ? old.expiresAt : new Date(now + grace)
    const successorBase = {
      name: old.name,
      ownerId: old.ownerId,
      scopes: old.scopes,
      metadata: old.metadata,
      expiresAt: requestedExpiry !== undefined ? requestedExpiry : old.expiresAt !== null && old.expiresAt.getTime() > now ? old.expiresAt : null,
      rateLimit: old.rateLimit,
      credits: old.credits,
    }
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
    try {
      created = await this.#insertNew(successorBase, now, id, successorId)
    } catch (error) {
      await this.#storeUpdate(id, { rotatedToId: null, expiresAt: old.expiresAt, updatedAt: new Date(now) }, claimed.revision, 'rotate').catch(
        () => undefined,
      )
      throw error
    }
    this.#emit({ type: 'key.rotated', keyId: id, successorId, ownerId: old.ownerId })
    return { key: created.key, info: this.#info(created.record, now), previous: this.#info(claimed, now) }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#lastUsed?.flush()
    const unsubscribe = await this.#unsubscribe
    await unsubscribe?.().catch(() => undefined)
    this.#cache?.clear()
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

  async #find(id: string, operation: string): Promise<ApiKeyRecord | null> {
    try {
      return await this.#store.findById(id)
    } catch (error) {
      throw toStoreError(operation, error)
    }
  }

  async #require(id: string, operation: string): Promise<ApiKeyRecord> {
    const record = this.#isIdShaped(id) ? await this.#find(id, operation) : null
    if (record === null) throw new KeyNotFoundError(String(id))
    return record
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
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      expiresAt: record.expiresAt,
      disabledAt: record.disabledAt,
      revokedAt: record.revokedAt,
      lastUsedAt: record.lastUsedAt,
      rotatedFromId: record.rotatedFromId,
      rotatedToId: record.rotatedToId,
      rateLimit: record.rateLimit,
      credits: record.credits,
    }
  }
}

