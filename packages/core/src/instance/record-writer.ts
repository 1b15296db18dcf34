import { ClosedError, ConflictError, KeyNotFoundError, LimitExceededError } from '../errors.js'
import type { KeyFormat } from '../format.js'
import { cryptoRandom } from '../lib/base62.js'
import type { DigesterSet } from '../lib/peppers.js'
import { isDuplicateId, toStoreError } from './store-errors.js'
import type { AuditRecord } from '../analytics-types.js'
import type { InsertCap } from '../rules-types.js'
import type { ApiKeyPatch, ApiKeyRecord, KeyStore } from '../types.js'
import type { RecordCache } from './record-cache.js'

export interface RecordWriterParts {
  format: KeyFormat
  store: KeyStore
  digesters: DigesterSet
  cache: RecordCache<string>
  isClosed: () => boolean
}

/** The fields a caller chooses for a new record; the rest Keyward sets. */
export type NewRecordFields = Pick<
  ApiKeyRecord,
  'name' | 'ownerId' | 'scopes' | 'metadata' | 'expiresAt' | 'rateLimit' | 'rateLimits' | 'credits' | 'notBefore' | 'roles' | 'allowedIps'
>

const ID_CHARS_RE = /^[0-9A-Za-z]+$/

/**
 * Reads and writes of records for management: every write invalidates the cache, every write of
 * an existing record is conditional on its revision, and every id argument is checked (and never
 * echoed unless it has an id's shape).
 */
export class RecordWriter {
  readonly #p: RecordWriterParts

  constructor(parts: RecordWriterParts) {
    this.#p = parts
  }

  /**
   * Mint a key and store its record. A random id is retried on the (astronomically unlikely)
   * duplicate; an id reserved in advance (rotation) is not.
   */
  async insertNew(
    fields: NewRecordFields,
    now: number,
    rotatedFromId: string | null,
    reservedId?: string,
    audit?: (record: ApiKeyRecord) => AuditRecord | undefined,
    cap?: InsertCap,
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    const { format, digesters, store, cache } = this.#p
    const digester = digesters.current
    for (let attempt = 1; ; attempt++) {
      const { key, id } = format.generate(cryptoRandom, reservedId)
      const record: ApiKeyRecord = {
        id,
        prefix: format.prefix,
        digest: digester.digestHex(key),
        algorithm: digester.algorithm,
        pepperId: digester.pepperId,
        hint: key.slice(-4),
        ...fields,
        createdAt: new Date(now),
        updatedAt: new Date(now),
        disabledAt: null,
        revokedAt: null,
        lastUsedAt: null,
        rotatedFromId,
        rotatedToId: null,
        importedAt: null,
        legacyHash: null,
        revision: 0,
      }
      try {
        const entry = audit?.(record)
        await store.insert(record, entry || cap ? { ...(entry && { audit: entry }), ...(cap && { cap }) } : undefined)
        cache.invalidate(id)
        return { key, record }
      } catch (error) {
        if (isDuplicateId(error) && reservedId === undefined && attempt < 3) continue
        if (error instanceof LimitExceededError) throw error
        throw toStoreError('create', error)
      }
    }
  }

  /**
   * Read, decide a patch, write it conditionally (with the audit entry made for it, in the same
   * transaction); retried when a concurrent change wins.
   */
  async change(
    id: string,
    operation: string,
    now: number,
    decide: (current: ApiKeyRecord) => ApiKeyPatch | null,
    audit?: (current: ApiKeyRecord, patch: ApiKeyPatch) => AuditRecord | undefined,
  ): Promise<ApiKeyRecord> {
    this.assertOpen()
    for (let attempt = 1; ; attempt++) {
      const current = await this.require(id, operation)
      const patch = decide(current)
      if (patch === null) return current
      const updated = await this.update(id, { ...patch, updatedAt: new Date(now) }, current.revision, operation, audit?.(current, patch))
      if (updated !== null) return updated
      if (attempt >= 5) throw new ConflictError(id, `API key "${id}" kept changing during ${operation}; try again.`)
    }
  }

  /** One conditional write: the updated record, or null when the revision no longer matches. */
  async update(
    id: string,
    patch: ApiKeyPatch,
    expectedRevision: number,
    operation: string,
    audit?: AuditRecord,
  ): Promise<ApiKeyRecord | null> {
    try {
      return await this.#p.store.update(id, patch, audit ? { expectedRevision, audit } : { expectedRevision })
    } catch (error) {
      throw toStoreError(operation, error)
    } finally {
      this.#p.cache.invalidate(id)
    }
  }

  /** The record of this deployment with this id, or null (also for an argument that is no id). */
  async find(id: unknown, operation: string): Promise<ApiKeyRecord | null> {
    return this.isIdShaped(id) ? this.#p.cache.find(id, operation) : null
  }

  /** The record of this deployment with this id, or a `KeyNotFoundError`. */
  async require(id: unknown, operation: string): Promise<ApiKeyRecord> {
    const record = await this.find(id, operation)
    if (record === null) throw new KeyNotFoundError(this.idText(id))
    return record
  }

  /**
   * An id argument as an error may show it: itself when it has an id's shape, else never echoed
   * (it may be a whole key pasted where an id belongs: then only its redacted form).
   */
  idText(id: unknown): string {
    if (this.isIdShaped(id)) return id
    const parsed = this.#p.format.parse(id)
    if (parsed !== null)
      return `${parsed.prefix}_${parsed.id.slice(0, 4)}…${(id as string).slice(-4)} (a whole key, not an id: pass ${parsed.id})`
    return typeof id === 'string' ? `(not a key id: ${id.length} characters)` : `(not a key id: ${typeof id})`
  }

  isIdShaped(id: unknown): id is string {
    return typeof id === 'string' && id.length === this.#p.format.idLength && ID_CHARS_RE.test(id)
  }

  assertOpen(): void {
    if (this.#p.isClosed()) throw new ClosedError()
  }
}
