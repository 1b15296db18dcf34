import type { AuditAction, AuditActor, AuditRecord } from '../analytics-types.js'
import { validateLimit, validateTime } from '../analytics-validate.js'
import { InvalidInputError } from '../errors.js'
import { cryptoRandom, encodeBase62, randomBase62 } from '../lib/base62.js'
import type { KeyStore } from '../types.js'
import { validateOptionsBag, validateOwnerId } from '../validate.js'
import { toStoreError } from './store-errors.js'

/** One entry of the audit log, as `keyward.auditLog()` returns it. Never carries a key or a digest. */
export interface AuditEntry {
  id: string
  at: Date
  action: AuditAction
  keyId?: string
  ownerId?: string
  /** Who made the change, as the mutation's `{ actor }` named them. */
  actor?: AuditActor
  /** The fields the change set, such as `['name', 'scopes']`. */
  fields?: string[]
}

/** Query of `keyward.auditLog()`. */
export interface AuditLogOptions {
  keyId?: string
  ownerId?: string
  actorId?: string
  from?: Date | number
  to?: Date | number
  /** @default 50 */
  limit?: number
  cursor?: string
}

export interface AuditTrailParts {
  store: KeyStore
  prefix: string
  enabled: boolean
  retentionMs: number
  isKeyId: (id: unknown) => id is string
}

/**
 * Audit ids: a per-process sequence (8 base62 characters) then 12 random ones. Entries are ordered
 * by time then id, so two changes this process makes in one millisecond keep their order.
 */
let sequence = 0
function auditId(): string {
  sequence = (sequence + 1) % 2 ** 47
  return encodeBase62(sequence, 8) + randomBase62(12, cryptoRandom)
}

/** Builds audit entries for the store to append with each change, and pages the log. */
export class AuditTrail {
  readonly enabled: boolean
  readonly #p: AuditTrailParts

  constructor(parts: AuditTrailParts) {
    this.#p = parts
    this.enabled = parts.enabled
  }

  /** The entry to append with a change, or undefined when the audit log is off. */
  entry(
    action: AuditAction,
    at: number,
    subject: { keyId: string | null; ownerId: string | null },
    actor: AuditActor | null,
    fields: string[] | null = null,
  ): AuditRecord | undefined {
    if (!this.enabled) return undefined
    return { id: auditId(), at: new Date(at), action, prefix: this.#p.prefix, ...subject, actor, fields }
  }

  /** Append an entry that goes with no record change (a leak report, an owner's settings). */
  async append(entry: AuditRecord | undefined): Promise<void> {
    if (entry === undefined) return
    try {
      await this.#p.store.appendAudit!([entry])
    } catch (error) {
      throw toStoreError('audit', error)
    }
  }

  async list(options: AuditLogOptions = {}): Promise<{ items: AuditEntry[]; nextCursor?: string }> {
    const fields = validateOptionsBag(options, 'options', ['keyId', 'ownerId', 'actorId', 'from', 'to', 'limit', 'cursor'])
    if (!this.enabled) throw new InvalidInputError('auditLog', 'the audit log is off (audit: false, or a store without listAudit)')
    const query = { prefix: this.#p.prefix, limit: validateLimit(fields.limit, 50, 100) } as Parameters<
      NonNullable<KeyStore['listAudit']>
    >[0]
    if (fields.keyId !== undefined) {
      if (!this.#p.isKeyId(fields.keyId)) throw new InvalidInputError('keyId', 'must be the id of a key (not a whole key)')
      query.keyId = fields.keyId
    }
    const ownerId = validateOwnerId(fields.ownerId)
    if (ownerId !== null) query.ownerId = ownerId
    if (fields.actorId !== undefined) {
      if (typeof fields.actorId !== 'string' || fields.actorId.length === 0 || fields.actorId.length > 200)
        throw new InvalidInputError('actorId', 'must be a string of 1–200 characters')
      query.actorId = fields.actorId
    }
    if (fields.from !== undefined) query.from = validateTime(fields.from, 'from')
    if (fields.to !== undefined) query.to = validateTime(fields.to, 'to')
    if (fields.cursor !== undefined) {
      if (typeof fields.cursor !== 'string') throw new InvalidInputError('cursor', 'must be a string returned by auditLog()')
      query.cursor = fields.cursor
    }
    let page: Awaited<ReturnType<NonNullable<KeyStore['listAudit']>>>
    try {
      page = await this.#p.store.listAudit!(query)
    } catch (error) {
      throw toStoreError('audit', error)
    }
    const items = page.items.map(toEntry)
    return page.nextCursor === undefined ? { items } : { items, nextCursor: page.nextCursor }
  }

  /** Remove entries past the retention. */
  async prune(now: number): Promise<void> {
    if (this.enabled && typeof this.#p.store.pruneAudit === 'function') await this.#p.store.pruneAudit(now - this.#p.retentionMs)
  }
}

function toEntry(record: AuditRecord): AuditEntry {
  const entry: AuditEntry = { id: record.id, at: new Date(record.at.getTime()), action: record.action }
  if (record.keyId !== null) entry.keyId = record.keyId
  if (record.ownerId !== null) entry.ownerId = record.ownerId
  if (record.actor !== null) entry.actor = { ...record.actor }
  if (record.fields !== null) entry.fields = [...record.fields]
  return entry
}
