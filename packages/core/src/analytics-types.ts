/**
 * What stores keep beside key records: usage counts, the audit log, the notification ledger and
 * the maintenance lease. Each is optional for a store; Keyward uses what a store has.
 */
import type { VerifyFailureCode } from './verify-result.js'

/**
 * How a verification that reached a record ended: `ok`, or a failure code other than those decided
 * before any record (`malformed`, `store_unavailable`). `invalid` is a wrong secret for a known id.
 * `ip_not_allowed` and `not_yet_valid` are the outcomes of access rules (DESIGN §13).
 */
export type UsageOutcome = 'ok' | Exclude<VerifyFailureCode, 'malformed' | 'store_unavailable'> | 'ip_not_allowed' | 'not_yet_valid'

/** The size of a usage bucket. Buckets start at UTC minute, hour and day boundaries. */
export type UsageGranularity = 'minute' | 'hour' | 'day'

/** Counts to add for one key and outcome in the minute that starts at `minute`. */
export interface UsageIncrement {
  keyId: string
  /** The key's owner when the verifications happened, so owners' totals need no join. */
  ownerId: string | null
  prefix: string
  /** Epoch milliseconds of the start of the UTC minute. */
  minute: number
  outcome: UsageOutcome
  count: number
}

/** One stored usage count: `count` verifications of `keyId` ending in `outcome` in the bucket at `start`. */
export interface UsageRow {
  keyId: string
  ownerId: string | null
  /** Epoch milliseconds of the bucket's start. */
  start: number
  outcome: UsageOutcome
  count: number
}

/** Which usage rows to read: one granularity, buckets starting in `[from, to)`. */
export interface UsageQuery {
  prefix: string
  granularity: UsageGranularity
  from: number
  to: number
  /** Only this key's rows. */
  keyId?: string
  /** Only rows counted for this owner. */
  ownerId?: string
}

/** Usage buckets older than these times (epoch milliseconds), per granularity, may be removed. */
export type UsageCutoffs = Record<UsageGranularity, number>

/** What an audit entry records. */
export type AuditAction =
  | 'key.created'
  | 'key.updated'
  | 'key.disabled'
  | 'key.enabled'
  | 'key.rotated'
  | 'key.revoked'
  | 'key.deleted'
  | 'key.leaked'
  | 'key.imported'
  | 'owner.updated'

/** Who made a change: an id the application chose (a user, a service) and where the request came from. */
export interface AuditActor {
  id: string
  ip?: string
  userAgent?: string
}

/** One audit log entry as a store keeps it. Never carries a key, a secret or a digest. */
export interface AuditRecord {
  /** Random, unique. */
  id: string
  at: Date
  action: AuditAction
  prefix: string
  keyId: string | null
  ownerId: string | null
  actor: AuditActor | null
  /** Names of the fields the change set, such as `['name', 'scopes']`. */
  fields: string[] | null
}

/** A query for {@link KeyStore.listAudit}: newest first (`at` descending, then `id` descending). */
export interface AuditQuery {
  prefix: string
  keyId?: string
  ownerId?: string
  actorId?: string
  /** Entries at or after this time (epoch milliseconds). */
  from?: number
  /** Entries before this time (epoch milliseconds). */
  to?: number
  /** Page size, 1–1000. */
  limit: number
  /** An opaque cursor returned by a previous page (`encodeCursor` of the last entry's `at` and `id` works). */
  cursor?: string
}

/** A page of audit entries. */
export interface AuditPage {
  items: AuditRecord[]
  nextCursor?: string
}

/** Options of the record-changing store methods. */
export interface WriteOptions {
  /**
   * An audit entry to append in the same transaction as the change, only when the change happens
   * (the insert succeeds, the update matches, the delete finds the record). Stores with
   * `listAudit` must honour it.
   */
  audit?: AuditRecord
}

/** A notification to record once. */
export interface LedgerEntry {
  /**
   * What makes the notification unique: the event type, key and period (`key.expiring_soon:<id>:<expiresAt>`).
   * A second entry with the same id, from any instance, at any time, is ignored.
   */
  id: string
  type: string
  keyId: string | null
  /** The event as JSON. */
  payload: string
  /** Epoch milliseconds. */
  createdAt: number
  /** Whether it waits for webhook delivery (false: recorded as done). */
  pending: boolean
}

/** A notification waiting for delivery, as `claimNotifications` hands it out. */
export interface PendingNotification {
  id: string
  type: string
  keyId: string | null
  payload: string
  createdAt: number
  /** Failed deliveries so far. */
  attempts: number
}

/** How a delivery attempt ended. */
export type DeliveryOutcome = { delivered: true } | { delivered: false; nextAttemptAt: number; error: string }

/** One notification on its way out: `payload` is the event (`KeywardEvent` as JSON). */
export interface OutgoingNotification {
  /** Unique per notification and stable across retries: receivers deduplicate on it. */
  id: string
  /** The event type, such as `key.expiring_soon`. */
  type: string
  /** When the event happened. */
  timestamp: Date
  payload: unknown
}

/**
 * Delivers notifications outside the process. `@keyward/webhooks` provides one that signs and
 * POSTs them per the Standard Webhooks specification.
 *
 * @example
 * import { standardWebhooks } from '@keyward/webhooks'
 * createKeyward({ …, webhooks: standardWebhooks({ url: 'https://hooks.example.com/keyward', secret: process.env.WEBHOOK_SECRET! }) })
 */
export interface NotificationSender {
  /** Deliver one notification. Resolve once the receiver accepted it; reject (with why) otherwise, to be retried. */
  send(notification: OutgoingNotification): Promise<void>
}
