import type {
  AuditPage,
  AuditQuery,
  AuditRecord,
  DeliveryOutcome,
  LedgerEntry,
  PendingNotification,
  UsageCutoffs,
  UsageIncrement,
  UsageQuery,
  UsageRow,
  WriteOptions,
} from './analytics-types.js'
import { counterWindow, spendFromCredits } from './credits.js'
import { MemoryAnalytics } from './memory-analytics.js'
import { applyCharges } from './charge.js'
import { DuplicateKeyIdError, LimitExceededError } from './errors.js'
import { type Charge, type ChargeResult, type InsertCap, type OwnerRecord, ownerChangeId } from './rules-types.js'
import { decodeCursor, isAfter } from './store/cursor.js'
import { ChangeListeners } from './store/listeners.js'
import { pageOf } from './store/page.js'
import type {
  ApiKeyPatch,
  ApiKeyRecord,
  CounterState,
  CreditSpend,
  KeyChange,
  KeyStore,
  LastUsedEntry,
  StoreListPage,
  StoreListQuery,
} from './types.js'

function copy(record: ApiKeyRecord): ApiKeyRecord {
  return structuredClone(record)
}

/**
 * A `KeyStore` in process memory: for tests, examples and single-process tools. Records are copied
 * in and out, so callers never share objects with the store. `subscribe` reports changes made
 * through this store object.
 *
 * @example
 * const keyward = createKeyward({ prefix: 'acme_test', store: new MemoryKeyStore() })
 */
export class MemoryKeyStore implements KeyStore {
  readonly #records = new Map<string, ApiKeyRecord>()
  readonly #listeners = new ChangeListeners()
  readonly #counters = new Map<string, CounterState>()
  /** Counter slots by the time their window ends, so ended windows are forgotten in O(1) amortised. */
  readonly #endingAt = new Map<number, string[]>()
  /** The keys of `#endingAt`, ascending. Few: one per configured window length and window. */
  readonly #ends: number[] = []
  readonly #analytics = new MemoryAnalytics()
  readonly #owners = new Map<string, OwnerRecord>()

  /** Number of records held. */
  get size(): number {
    return this.#records.size
  }

  async insert(record: ApiKeyRecord, options?: WriteOptions & { cap?: InsertCap }): Promise<void> {
    if (this.#records.has(record.id)) throw new DuplicateKeyIdError(record.id)
    const cap = options?.cap
    if (cap !== undefined && record.ownerId !== null && this.#liveKeys(record.ownerId, cap.now) >= cap.maxKeys)
      throw new LimitExceededError(record.ownerId, cap.maxKeys)
    this.#analytics.assertAppendable([options?.audit])
    this.#records.set(record.id, copy(record))
    this.#audited(options)
    this.#emit(record.id)
  }

  async insertMany(records: ApiKeyRecord[], options?: { audit?: AuditRecord[] }): Promise<{ inserted: string[]; duplicates: string[] }> {
    const inserted = new Set<string>()
    const duplicates: string[] = []
    for (const { id } of records)
      if (this.#records.has(id) || inserted.has(id)) duplicates.push(id)
      else inserted.add(id)
    const audit = (options?.audit ?? []).filter((entry) => entry.keyId !== null && inserted.has(entry.keyId))
    this.#analytics.assertAppendable(audit)
    for (const record of records) if (inserted.has(record.id) && !this.#records.has(record.id)) this.#records.set(record.id, copy(record))
    this.#analytics.appendAudit(audit)
    for (const id of inserted) this.#emit(id)
    return { inserted: [...inserted], duplicates }
  }

  #liveKeys(ownerId: string, now: number): number {
    let live = 0
    for (const r of this.#records.values())
      if (r.ownerId === ownerId && r.revokedAt === null && (r.expiresAt === null || r.expiresAt.getTime() > now)) live++
    return live
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const record = this.#records.get(id)
    return record ? copy(record) : null
  }

  async update(id: string, patch: ApiKeyPatch, options?: { expectedRevision?: number } & WriteOptions): Promise<ApiKeyRecord | null> {
    const record = this.#records.get(id)
    if (!record) return null
    if (options?.expectedRevision !== undefined && record.revision !== options.expectedRevision) return null
    this.#analytics.assertAppendable([options?.audit])
    const next: ApiKeyRecord = { ...record, revision: record.revision + 1 }
    for (const [field, value] of Object.entries(patch))
      if (value !== undefined) (next as unknown as Record<string, unknown>)[field] = structuredClone(value)
    this.#records.set(id, next)
    this.#audited(options)
    this.#emit(id)
    return copy(next)
  }

  async delete(id: string, options?: WriteOptions): Promise<boolean> {
    if (this.#records.has(id)) this.#analytics.assertAppendable([options?.audit])
    const existed = this.#records.delete(id)
    if (existed) {
      this.#audited(options)
      this.#emit(id)
    }
    return existed
  }

  async list(query: StoreListQuery): Promise<StoreListPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
    const matching = [...this.#records.values()]
      .filter(
        (r) =>
          (query.ownerId === undefined || r.ownerId === query.ownerId) &&
          (query.prefix === undefined || r.prefix === query.prefix) &&
          (query.includeRevoked || r.revokedAt === null) &&
          (after === undefined || isAfter(r.createdAt.getTime(), r.id, after)),
      )
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    return pageOf(matching.slice(0, query.limit + 1).map(copy), query.limit)
  }

  async touch(entries: LastUsedEntry[]): Promise<void> {
    for (const { id, lastUsedAt, from } of entries) {
      const record = this.#records.get(id)
      if (record && (record.lastUsedAt === null || record.lastUsedAt < lastUsedAt)) {
        record.lastUsedAt = new Date(lastUsedAt.getTime())
        if (from === undefined) delete record.lastUsedFrom
        else record.lastUsedFrom = from
      }
    }
  }

  async incrementCounter(name: string, amount: number, windowMs: number, now: number): Promise<CounterState> {
    this.#forgetEndedWindows(now)
    const { start, resetAt } = counterWindow(now, windowMs)
    const slot = `${name}@${windowMs}:${start}`
    let state = this.#counters.get(slot)
    if (state === undefined) {
      if (amount <= 0) return { count: 0, resetAt }
      state = { count: 0, resetAt }
      this.#counters.set(slot, state)
      this.#endsAt(resetAt).push(slot)
    }
    state.count += amount
    return { ...state }
  }

  async spendCredits(id: string, cost: number, now: number): Promise<CreditSpend | null> {
    const record = this.#records.get(id)
    if (!record?.credits) return null
    const { credits, spend } = spendFromCredits(record.credits, cost, now)
    record.credits = credits
    return spend
  }

  async charge(charges: Charge[], now: number): Promise<ChargeResult> {
    this.#forgetEndedWindows(now)
    const { result, writes } = applyCharges(charges, now, {
      counter: (name, windowMs, start) => this.#counters.get(`${name}@${windowMs}:${start}`)?.count ?? 0,
      credits: (holder, id) => (holder === 'key' ? this.#records.get(id)?.credits : this.#owners.get(id)?.credits) ?? null,
    })
    for (const { name, windowMs, start, resetAt, amount } of writes.counters) {
      const slot = `${name}@${windowMs}:${start}`
      let state = this.#counters.get(slot)
      if (state === undefined) {
        state = { count: 0, resetAt }
        this.#counters.set(slot, state)
        // Kept one window longer, for sliding limits that weigh the previous window.
        this.#endsAt(resetAt + windowMs).push(slot)
      }
      state.count += amount
    }
    for (const { holder, id, credits } of writes.credits) {
      const target = holder === 'key' ? this.#records.get(id) : this.#owners.get(id)
      if (target) target.credits = credits
    }
    return result
  }

  async getOwner(id: string): Promise<OwnerRecord | null> {
    const owner = this.#owners.get(id)
    return owner ? structuredClone(owner) : null
  }

  async putOwner(owner: OwnerRecord, options?: WriteOptions): Promise<OwnerRecord> {
    this.#analytics.assertAppendable([options?.audit])
    const existing = this.#owners.get(owner.id)
    const stored: OwnerRecord = {
      ...structuredClone(owner),
      createdAt: existing?.createdAt ?? owner.createdAt,
      revision: (existing?.revision ?? 0) + 1,
    }
    this.#owners.set(owner.id, stored)
    this.#audited(options)
    this.#emit(ownerChangeId(owner.id))
    return structuredClone(stored)
  }

  /** Drop the counters of every window that ended by `now`: each counter is dropped once, so O(1) amortised. */
  #forgetEndedWindows(now: number): void {
    while (this.#ends.length > 0 && this.#ends[0]! <= now) {
      const end = this.#ends.shift()!
      for (const slot of this.#endingAt.get(end)!) this.#counters.delete(slot)
      this.#endingAt.delete(end)
    }
  }

  /** The list of slots whose window ends at `end`, made (and `#ends` kept sorted) when new. */
  #endsAt(end: number): string[] {
    let slots = this.#endingAt.get(end)
    if (slots === undefined) {
      slots = []
      this.#endingAt.set(end, slots)
      let i = this.#ends.length
      while (i > 0 && this.#ends[i - 1]! > end) i--
      this.#ends.splice(i, 0, end)
    }
    return slots
  }

  async addUsage(increments: UsageIncrement[], batchId?: string): Promise<void> {
    this.#analytics.addUsage(increments, batchId)
  }

  async readUsage(query: UsageQuery): Promise<UsageRow[]> {
    return this.#analytics.readUsage(query)
  }

  async pruneUsage(cutoffs: UsageCutoffs): Promise<void> {
    this.#analytics.pruneUsage(cutoffs)
  }

  async appendAudit(entries: AuditRecord[]): Promise<void> {
    this.#analytics.appendAudit(entries)
  }

  async listAudit(query: AuditQuery): Promise<AuditPage> {
    return this.#analytics.listAudit(query)
  }

  async pruneAudit(before: number): Promise<void> {
    this.#analytics.pruneAudit(before)
  }

  async recordNotifications(entries: LedgerEntry[]): Promise<string[]> {
    return this.#analytics.recordNotifications(entries)
  }

  async claimNotifications(_holder: string, now: number, leaseMs: number, limit: number): Promise<PendingNotification[]> {
    return this.#analytics.claimNotifications(now, leaseMs, limit)
  }

  async settleNotification(id: string, outcome: DeliveryOutcome): Promise<void> {
    this.#analytics.settleNotification(id, outcome)
  }

  async pruneNotifications(before: number): Promise<void> {
    this.#analytics.pruneNotifications(before)
  }

  async acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return this.#analytics.acquireLease(name, holder, ttlMs, now)
  }

  #audited(options: WriteOptions | undefined): void {
    if (options?.audit) this.#analytics.appendAudit([options.audit])
  }

  async subscribe(listener: (change: KeyChange) => void): Promise<() => Promise<void>> {
    this.#listeners.add(listener)
    return async () => {
      this.#listeners.delete(listener)
    }
  }

  async close(): Promise<void> {
    this.#listeners.clear()
  }

  #emit(id: string): void {
    this.#listeners.emit(id)
  }
}
