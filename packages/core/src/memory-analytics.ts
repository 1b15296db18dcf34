import type {
  AuditPage,
  AuditQuery,
  AuditRecord,
  DeliveryOutcome,
  LedgerEntry,
  PendingNotification,
  UsageCutoffs,
  UsageGranularity,
  UsageIncrement,
  UsageQuery,
  UsageRow,
} from './analytics-types.js'
import { decodeCursor, encodeCursor, isAfter } from './store/cursor.js'
import { usageBuckets } from './usage-buckets.js'

interface LedgerRow extends PendingNotification {
  pending: boolean
  nextAttemptAt: number
  claimedUntil: number
}

/** The usage, audit, notification and lease tables of `MemoryKeyStore`. */
export class MemoryAnalytics {
  readonly #usage = new Map<string, UsageRow & { granularity: UsageGranularity; prefix: string }>()
  readonly #audit: AuditRecord[] = []
  /** Applied usage batch ids, by their earliest minute. */
  readonly #batches = new Map<string, number>()
  readonly #auditIds = new Set<string>()
  readonly #ledger = new Map<string, LedgerRow>()
  readonly #leases = new Map<string, { holder: string; until: number }>()

  addUsage(increments: UsageIncrement[], batchId?: string): void {
    if (batchId !== undefined) {
      if (this.#batches.has(batchId)) return
      this.#batches.set(batchId, Math.min(...increments.map((increment) => increment.minute)))
    }
    for (const { keyId, ownerId, prefix, minute, outcome, count } of increments)
      for (const [granularity, start] of usageBuckets(minute)) {
        const slot = `${granularity}|${start}|${keyId}|${ownerId}|${outcome}`
        const row = this.#usage.get(slot)
        if (row) row.count += count
        else this.#usage.set(slot, { granularity, prefix, keyId, ownerId, start, outcome, count })
      }
  }

  readUsage(query: UsageQuery): UsageRow[] {
    const rows: UsageRow[] = []
    for (const row of this.#usage.values())
      if (
        row.granularity === query.granularity &&
        row.prefix === query.prefix &&
        row.start >= query.from &&
        row.start < query.to &&
        (query.keyId === undefined || row.keyId === query.keyId) &&
        (query.ownerId === undefined || row.ownerId === query.ownerId)
      )
        rows.push({ keyId: row.keyId, ownerId: row.ownerId, start: row.start, outcome: row.outcome, count: row.count })
    return rows
  }

  pruneUsage(cutoffs: UsageCutoffs): void {
    for (const [slot, row] of this.#usage) if (row.start < cutoffs[row.granularity]) this.#usage.delete(slot)
    for (const [id, minute] of this.#batches) if (minute < cutoffs.minute) this.#batches.delete(id)
  }

  /** Throws when an entry's id was appended before (checked for all before any is appended). */
  appendAudit(entries: AuditRecord[]): void {
    this.assertAppendable(entries)
    for (const entry of entries) {
      this.#auditIds.add(entry.id)
      this.#audit.push(structuredClone(entry))
    }
  }

  assertAppendable(entries: (AuditRecord | undefined)[]): void {
    const ids = new Set<string>()
    for (const entry of entries)
      if (entry && (this.#auditIds.has(entry.id) || ids.has(entry.id) || !ids.add(entry.id)))
        throw new Error(`audit entry ${entry.id} exists`)
  }

  listAudit(query: AuditQuery): AuditPage {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
    const matching = this.#audit
      .filter(
        (e) =>
          e.prefix === query.prefix &&
          (query.keyId === undefined || e.keyId === query.keyId) &&
          (query.ownerId === undefined || e.ownerId === query.ownerId) &&
          (query.actorId === undefined || e.actor?.id === query.actorId) &&
          (query.from === undefined || e.at.getTime() >= query.from) &&
          (query.to === undefined || e.at.getTime() < query.to) &&
          (after === undefined || isAfter(e.at.getTime(), e.id, after)),
      )
      .sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    const items = matching.slice(0, query.limit).map((e) => structuredClone(e))
    const last = items.at(-1)
    return matching.length > query.limit && last
      ? { items, nextCursor: encodeCursor({ createdAt: last.at.getTime(), id: last.id }) }
      : { items }
  }

  pruneAudit(before: number): void {
    for (let i = this.#audit.length - 1; i >= 0; i--)
      if (this.#audit[i]!.at.getTime() < before) this.#auditIds.delete(this.#audit.splice(i, 1)[0]!.id)
  }

  recordNotifications(entries: LedgerEntry[]): string[] {
    const added: string[] = []
    for (const { id, type, keyId, payload, createdAt, pending } of entries) {
      if (this.#ledger.has(id)) continue
      this.#ledger.set(id, { id, type, keyId, payload, createdAt, attempts: 0, pending, nextAttemptAt: createdAt, claimedUntil: 0 })
      added.push(id)
    }
    return added
  }

  claimNotifications(now: number, leaseMs: number, limit: number): PendingNotification[] {
    const due = [...this.#ledger.values()]
      .filter((row) => row.pending && row.nextAttemptAt <= now && row.claimedUntil <= now)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .slice(0, limit)
    return due.map((row) => {
      row.claimedUntil = now + leaseMs
      return { id: row.id, type: row.type, keyId: row.keyId, payload: row.payload, createdAt: row.createdAt, attempts: row.attempts }
    })
  }

  settleNotification(id: string, outcome: DeliveryOutcome): void {
    const row = this.#ledger.get(id)
    if (!row) return
    row.claimedUntil = 0
    if (outcome.delivered) row.pending = false
    else {
      row.attempts++
      row.nextAttemptAt = outcome.nextAttemptAt
    }
  }

  pruneNotifications(before: number): void {
    for (const [id, row] of this.#ledger) if (!row.pending && row.createdAt < before) this.#ledger.delete(id)
  }

  acquireLease(name: string, holder: string, ttlMs: number, now: number): boolean {
    const lease = this.#leases.get(name)
    if (lease && lease.holder !== holder && lease.until > now) return false
    this.#leases.set(name, { holder, until: now + ttlMs })
    return true
  }
}
