import type { MutationOptions } from '../analytics-api.js'
import type { AuditAction, AuditActor } from '../analytics-types.js'
import { validateMutationOptions } from '../analytics-validate.js'
import type { CreateKeyInput, CreatedKey, ListOptions, UpdateKeyInput } from '../api.js'
import { InvalidInputError, InvalidStateError, KeyNotFoundError } from '../errors.js'
import type { KeyFormat } from '../format.js'
import { decodeDigest, DIGEST_LENGTH, digestsEqual } from '../lib/digest.js'
import { toStoreError } from './store-errors.js'
import type { Limits } from '../limits.js'
import type { ApiKeyInfo, ApiKeyPatch, ApiKeyRecord, KeyStore, StoreListPage } from '../types.js'
import { validateOptionsBag, validateOwnerId } from '../validate.js'
import type { Notifier } from '../notify/notifier.js'
import type { RoleTable } from '../scopes.js'
import type { AuditTrail } from './audit-trail.js'
import type { KeyFields } from './key-fields.js'
import type { EventSink } from './events.js'
import type { RecordCache } from './record-cache.js'
import type { RecordWriter } from './record-writer.js'
import { toInfo } from './view.js'

export interface LifecycleParts<S extends string> {
  format: KeyFormat
  store: KeyStore
  cache: RecordCache<S>
  fields: KeyFields
  roles: RoleTable
  writer: RecordWriter
  limits: Limits
  events: EventSink
  audit: AuditTrail
  notifier: Notifier
  now: () => number
}

const MAX_LIST_LIMIT = 100
const RULE_FIELDS = ['rateLimits', 'notBefore', 'roles', 'allowedIps'] as const
const CREATE_FIELDS = ['name', 'ownerId', 'scopes', 'expiresAt', 'metadata', 'rateLimit', 'credits', ...RULE_FIELDS] as const
const UPDATE_FIELDS = ['name', 'scopes', 'expiresAt', 'metadata', 'rateLimit', 'credits', ...RULE_FIELDS] as const
const LIST_FIELDS = ['ownerId', 'includeRevoked', 'limit', 'cursor'] as const

/** Create, read, change and remove keys (rotation has its own module). */
export class Lifecycle<S extends string> {
  readonly #p: LifecycleParts<S>

  constructor(parts: LifecycleParts<S>) {
    this.#p = parts
  }

  async create(input: CreateKeyInput<S>, options?: MutationOptions): Promise<CreatedKey<S>> {
    this.#p.writer.assertOpen()
    const fields = validateOptionsBag(input, 'input', CREATE_FIELDS)
    const actor = validateMutationOptions(options)
    const now = this.#p.now()
    const base = this.#p.fields.forNew(fields, now)
    const audit = (record: ApiKeyRecord) => this.#auditEntry('key.created', now, record, actor, definedFields(fields))
    const cap = await this.#p.fields.capFor(base.ownerId, now)
    const { key, record } = await this.#p.writer.insertNew(base, now, null, undefined, audit, cap)
    this.#emit('key.created', record, actor)
    return { key, info: this.#view(record, now) }
  }

  async get(id: string): Promise<ApiKeyInfo<S> | null> {
    this.#p.writer.assertOpen()
    const record = await this.#p.writer.find(id, 'get')
    return record && this.#view(record, this.#p.now())
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
    return digestsEqual(computed, decodeDigest(record.digest)!) && now < trust.acceptUntil ? this.#view(record, now) : null
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
      .map((record) => this.#view(record, now))
    return page.nextCursor === undefined ? { items } : { items, nextCursor: page.nextCursor }
  }

  async update(id: string, input: UpdateKeyInput<S>, options?: MutationOptions): Promise<ApiKeyInfo<S>> {
    this.#p.writer.assertOpen()
    const fields = validateOptionsBag(input, 'input', UPDATE_FIELDS)
    const actor = validateMutationOptions(options)
    const now = this.#p.now()
    const patch = this.#p.fields.forPatch(fields, now)
    const record = await this.#p.writer.change(
      id,
      'update',
      now,
      (current) => {
        if (current.revokedAt !== null) throw new InvalidStateError(id, `API key "${id}" is revoked and can no longer be changed.`)
        if (current.rotatedToId !== null) assertGraceUnchanged(current, patch)
        return patch
      },
      (current) => this.#auditEntry('key.updated', now, current, actor, Object.keys(patch)),
    )
    this.#emit('key.updated', record, actor)
    return this.#view(record, now)
  }

  async disable(id: string, options?: MutationOptions): Promise<ApiKeyInfo<S>> {
    return this.#setState(id, 'disable', options, (current, now) => {
      if (current.revokedAt !== null) throw new InvalidStateError(id, `API key "${id}" is revoked; it cannot be disabled.`)
      return current.disabledAt === null ? { disabledAt: new Date(now) } : null
    })
  }

  async enable(id: string, options?: MutationOptions): Promise<ApiKeyInfo<S>> {
    return this.#setState(id, 'enable', options, (current) => {
      if (current.revokedAt !== null) throw new InvalidStateError(id, `API key "${id}" is revoked; it cannot be enabled again.`)
      return current.disabledAt === null ? null : { disabledAt: null }
    })
  }

  async revoke(id: string, options?: MutationOptions): Promise<ApiKeyInfo<S>> {
    return this.#setState(id, 'revoke', options, (current, now) => (current.revokedAt === null ? { revokedAt: new Date(now) } : null))
  }

  async #setState(
    id: string,
    operation: 'disable' | 'enable' | 'revoke',
    options: MutationOptions | undefined,
    decide: (current: ApiKeyRecord, now: number) => ApiKeyPatch | null,
  ): Promise<ApiKeyInfo<S>> {
    const actor = validateMutationOptions(options)
    const now = this.#p.now()
    const action = `key.${operation}d` as const
    const record = await this.#p.writer.change(
      id,
      operation,
      now,
      (current) => decide(current, now),
      (current, patch) => this.#auditEntry(action, now, current, actor, Object.keys(patch)),
    )
    this.#emit(action, record, actor)
    return this.#view(record, now)
  }

  async delete(id: string, options?: MutationOptions): Promise<void> {
    const { writer, store, cache } = this.#p
    writer.assertOpen()
    const actor = validateMutationOptions(options)
    // Found first: a record of another deployment's prefix is not this instance's to delete.
    const current = await writer.require(id, 'delete')
    const audit = this.#auditEntry('key.deleted', this.#p.now(), current, actor)
    let existed = false
    try {
      existed = await store.delete(id, audit && { audit })
    } catch (error) {
      throw toStoreError('delete', error)
    } finally {
      cache.invalidate(id)
    }
    if (!existed) throw new KeyNotFoundError(writer.idText(id))
    this.#emit('key.deleted', current, actor)
  }

  async reportLeak(id: string, details: { url?: string } = {}, options?: MutationOptions): Promise<void> {
    this.#p.writer.assertOpen()
    const { url } = validateOptionsBag(details, 'details', ['url'])
    if (url !== undefined && (typeof url !== 'string' || !/^https?:\/\/\S{1,2000}$/.test(url)))
      throw new InvalidInputError('url', 'must be an http(s) URL of at most 2000 characters')
    const actor = validateMutationOptions(options)
    const record = await this.#p.writer.require(id, 'report_leak')
    const now = this.#p.now()
    await this.#p.audit.append(this.#auditEntry('key.leaked', now, record, actor))
    const event = { type: 'key.leaked' as const, keyId: record.id, ownerId: record.ownerId, ...(actor && { actor }) }
    await this.#p.notifier.notify(`key.leaked:${record.id}`, url === undefined ? event : { ...event, url }).catch((error: unknown) => {
      throw toStoreError('report_leak', error)
    })
  }

  #auditEntry(action: AuditAction, now: number, record: ApiKeyRecord, actor: AuditActor | null, fields: string[] | null = null) {
    return this.#p.audit.entry(action, now, { keyId: record.id, ownerId: record.ownerId }, actor, fields)
  }

  #emit(type: AuditAction, record: ApiKeyRecord, actor: AuditActor | null): void {
    this.#p.events.emit({ type, keyId: record.id, ownerId: record.ownerId, ...(actor && { actor }) })
  }

  /** The public view, with effective scopes from the configured roles. */
  #view(record: ApiKeyRecord, now: number): ApiKeyInfo<S> {
    return toInfo<S>(record, now, this.#p.roles)
  }
}

/** The names of the fields a caller set (for the audit log: names only, never values). */
function definedFields(fields: Record<string, unknown>): string[] {
  return Object.keys(fields).filter((name) => fields[name] !== undefined)
}

/**
 * A key in its rotation grace period keeps what rotation gave it: its expiry may only come sooner,
 * and its limits and credits (its successor's now) are changed on the successor.
 */
function assertGraceUnchanged(current: ApiKeyRecord, patch: ApiKeyPatch): void {
  const id = current.id
  if (patch.rateLimit !== undefined || patch.rateLimits !== undefined || patch.credits !== undefined)
    throw new InvalidStateError(
      id,
      `API key "${id}" was rotated: it spends its successor's limits and credits; change those on "${current.rotatedToId}".`,
    )
  const ends = current.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY
  if (patch.expiresAt !== undefined && (patch.expiresAt === null || patch.expiresAt.getTime() > ends))
    throw new InvalidStateError(id, `API key "${id}" was rotated: its grace period can be shortened, not extended.`)
}
