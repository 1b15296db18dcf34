import type { CreateKeyInput, CreatedKey, ListOptions, UpdateKeyInput } from '../api.js'
import { InvalidInputError, InvalidStateError, KeyNotFoundError } from '../errors.js'
import type { KeyFormat } from '../format.js'
import { decodeDigest, DIGEST_LENGTH, digestsEqual } from '../lib/digest.js'
import { toStoreError } from './store-errors.js'
import type { Limits } from '../limits.js'
import type { ApiKeyInfo, ApiKeyPatch, ApiKeyRecord, Credits, KeyStore, RateLimit, StoreListPage } from '../types.js'
import {
  validateCredits,
  validateExpiresAt,
  validateMetadata,
  validateName,
  validateOptionsBag,
  validateOwnerId,
  validateRateLimit,
  validateScopes,
} from '../validate.js'
import type { EventSink } from './events.js'
import type { RecordCache } from './record-cache.js'
import type { RecordWriter } from './record-writer.js'
import { toInfo } from './view.js'

export interface LifecycleParts<S extends string> {
  format: KeyFormat
  store: KeyStore
  cache: RecordCache<S>
  writer: RecordWriter
  limits: Limits
  events: EventSink
  now: () => number
}

const MAX_LIST_LIMIT = 100
const CREATE_FIELDS = ['name', 'ownerId', 'scopes', 'expiresAt', 'metadata', 'rateLimit', 'credits'] as const
const UPDATE_FIELDS = ['name', 'scopes', 'expiresAt', 'metadata', 'rateLimit', 'credits'] as const
const LIST_FIELDS = ['ownerId', 'includeRevoked', 'limit', 'cursor'] as const

/** Create, read, change and remove keys (rotation has its own module). */
export class Lifecycle<S extends string> {
  readonly #p: LifecycleParts<S>

  constructor(parts: LifecycleParts<S>) {
    this.#p = parts
  }

  async create(input: CreateKeyInput<S>): Promise<CreatedKey<S>> {
    this.#p.writer.assertOpen()
    const fields = validateOptionsBag(input, 'input', CREATE_FIELDS)
    const now = this.#p.now()
    const base = {
      name: validateName(fields.name),
      ownerId: validateOwnerId(fields.ownerId),
      scopes: validateScopes(fields.scopes),
      metadata: validateMetadata(fields.metadata),
      expiresAt: validateExpiresAt(fields.expiresAt, now),
      rateLimit: this.#supportedRateLimit(fields.rateLimit),
      credits: this.#supportedCredits(fields.credits, now),
    }
    const { key, record } = await this.#p.writer.insertNew(base, now, null)
    this.#p.events.emit({ type: 'key.created', keyId: record.id, ownerId: record.ownerId })
    return { key, info: toInfo(record, now) }
  }

  async get(id: string): Promise<ApiKeyInfo<S> | null> {
    this.#p.writer.assertOpen()
    const record = await this.#p.writer.find(id, 'get')
    return record && toInfo(record, this.#p.now())
  }

  async identify(key: string): Promise<ApiKeyInfo<S> | null> {
    this.#p.writer.assertOpen()
    const parsed = this.#p.format.parse(key)
    if (parsed === null || !parsed.ownPrefix) return null
    const record = await this.#p.writer.find(parsed.id, 'identify')
    if (record === null) return null
    const now = this.#p.now()
    const trust = this.#p.cache.trustFor(record)
    const computed = new Uint8Array(DIGEST_LENGTH)
    trust.digester.digestInto(key, computed)
    return digestsEqual(computed, decodeDigest(record.digest)!) && now < trust.acceptUntil ? toInfo(record, now) : null
  }

  async list(options: ListOptions = {}): Promise<{ items: ApiKeyInfo<S>[]; nextCursor?: string }> {
    this.#p.writer.assertOpen()
    const fields = validateOptionsBag(options, 'options', LIST_FIELDS)
    const limit = fields.limit ?? 50
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT)
      throw new InvalidInputError('limit', `must be an integer from 1 to ${MAX_LIST_LIMIT}`)
    if (fields.cursor !== undefined && typeof fields.cursor !== 'string')
      throw new InvalidInputError('cursor', 'must be a string returned by list()')
    const ownerId = fields.ownerId === undefined ? undefined : (validateOwnerId(fields.ownerId) ?? undefined)
    let page: StoreListPage
    try {
      page = await this.#p.store.list({
        ...(ownerId !== undefined && { ownerId }),
        prefix: this.#p.format.prefix,
        includeRevoked: fields.includeRevoked === true,
        limit,
        ...(fields.cursor !== undefined && { cursor: fields.cursor as string }),
      })
    } catch (error) {
      throw toStoreError('list', error)
    }
    const now = this.#p.now()
    // A store that ignores `prefix` (written before it existed) still shows no other deployment's keys.
    const items = page.items
      .filter((record) => this.#p.cache.checked(record, (record as { id?: string } | null)?.id as string, 'list') !== null)
      .map((record) => toInfo<S>(record, now))
    return page.nextCursor === undefined ? { items } : { items, nextCursor: page.nextCursor }
  }

  async update(id: string, input: UpdateKeyInput<S>): Promise<ApiKeyInfo<S>> {
    this.#p.writer.assertOpen()
    const fields = validateOptionsBag(input, 'input', UPDATE_FIELDS)
    const now = this.#p.now()
    const patch: ApiKeyPatch = {}
    if (fields.name !== undefined) patch.name = validateName(fields.name)
    if (fields.scopes !== undefined) patch.scopes = validateScopes(fields.scopes)
    if (fields.metadata !== undefined) patch.metadata = validateMetadata(fields.metadata)
    if (fields.expiresAt !== undefined) patch.expiresAt = validateExpiresAt(fields.expiresAt, now)
    if (fields.rateLimit !== undefined) patch.rateLimit = this.#supportedRateLimit(fields.rateLimit)
    if (fields.credits !== undefined) patch.credits = this.#supportedCredits(fields.credits, now)
    const record = await this.#p.writer.change(id, 'update', now, (current) => {
      if (current.revokedAt !== null) throw new InvalidStateError(id, `API key "${id}" is revoked and can no longer be changed.`)
      if (current.rotatedToId !== null) assertGraceUnchanged(current, patch)
      return patch
    })
    this.#p.events.emit({ type: 'key.updated', keyId: id, ownerId: record.ownerId })
    return toInfo(record, now)
  }

  async disable(id: string): Promise<ApiKeyInfo<S>> {
    return this.#setState(id, 'disable', (current, now) => {
      if (current.revokedAt !== null) throw new InvalidStateError(id, `API key "${id}" is revoked; it cannot be disabled.`)
      return current.disabledAt === null ? { disabledAt: new Date(now) } : null
    })
  }

  async enable(id: string): Promise<ApiKeyInfo<S>> {
    return this.#setState(id, 'enable', (current) => {
      if (current.revokedAt !== null) throw new InvalidStateError(id, `API key "${id}" is revoked; it cannot be enabled again.`)
      return current.disabledAt === null ? null : { disabledAt: null }
    })
  }

  async revoke(id: string): Promise<ApiKeyInfo<S>> {
    return this.#setState(id, 'revoke', (current, now) => (current.revokedAt === null ? { revokedAt: new Date(now) } : null))
  }

  async #setState(
    id: string,
    operation: 'disable' | 'enable' | 'revoke',
    decide: (current: ApiKeyRecord, now: number) => ApiKeyPatch | null,
  ): Promise<ApiKeyInfo<S>> {
    const now = this.#p.now()
    const record = await this.#p.writer.change(id, operation, now, (current) => decide(current, now))
    this.#p.events.emit({ type: `key.${operation}d`, keyId: id, ownerId: record.ownerId })
    return toInfo(record, now)
  }

  async delete(id: string): Promise<void> {
    const { writer, store, cache } = this.#p
    writer.assertOpen()
    // Found first: a record of another deployment's prefix is not this instance's to delete.
    await writer.require(id, 'delete')
    let existed = false
    try {
      existed = await store.delete(id)
    } catch (error) {
      throw toStoreError('delete', error)
    } finally {
      cache.invalidate(id)
    }
    if (!existed) throw new KeyNotFoundError(writer.idText(id))
    this.#p.events.emit({ type: 'key.deleted', keyId: id })
  }

  #supportedRateLimit(input: unknown): RateLimit | null {
    const rateLimit = validateRateLimit(input)
    if (rateLimit !== null && !this.#p.limits.canRateLimit)
      throw new InvalidInputError('rateLimit', 'this store cannot count requests (it has no incrementCounter)')
    return rateLimit
  }

  #supportedCredits(input: unknown, now: number): Credits | null {
    const credits = validateCredits(input)
    if (credits === null) return null
    if (!this.#p.limits.canSpendCredits) throw new InvalidInputError('credits', 'this store cannot spend credits (it has no spendCredits)')
    return credits.refill ? { ...credits, refilledAt: now } : credits
  }
}

/**
 * A key in its rotation grace period keeps what rotation gave it: its expiry may only come sooner,
 * and its limits and credits (its successor's now) are changed on the successor.
 */
function assertGraceUnchanged(current: ApiKeyRecord, patch: ApiKeyPatch): void {
  const id = current.id
  if (patch.rateLimit !== undefined || patch.credits !== undefined)
    throw new InvalidStateError(
      id,
      `API key "${id}" was rotated: it spends its successor's limits and credits; change those on "${current.rotatedToId}".`,
    )
  const ends = current.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY
  if (patch.expiresAt !== undefined && (patch.expiresAt === null || patch.expiresAt.getTime() > ends))
    throw new InvalidStateError(id, `API key "${id}" was rotated: its grace period can be shortened, not extended.`)
}
