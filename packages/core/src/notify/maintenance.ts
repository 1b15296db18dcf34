import type { AuditTrail } from '../instance/audit-trail.js'
import type { EventSink } from '../instance/events.js'
import { statusOf } from '../instance/view.js'
import { causeText } from '../lib/cause-text.js'
import type { ApiKeyRecord, KeyStore } from '../types.js'
import { bucketStart } from '../usage-buckets.js'
import type { Notifier } from './notifier.js'

/** When maintenance notifies. Times in milliseconds. */
export interface NotifyOptions {
  /**
   * `key.expiring_soon` once per key when its expiry is this close.
   * @default 604_800_000 (7 days)
   */
  expiringWithinMs?: number
  /**
   * `key.unused` once per idle stretch when a key saw no use (or, never used, was made) this long ago.
   * @default 7_776_000_000 (90 days)
   */
  unusedForMs?: number
  /**
   * Disable a key when `key.unused` fires for it (recorded in the audit log as `keyward:maintenance`).
   * @default false
   */
  autoDisableUnused?: boolean
  /** `key.credits_low` once per refill period when a key's remaining credits drop below this. Off unless set. */
  creditsBelow?: number
  /**
   * `key.auth_failures` once per hour for a key id that got at least this many wrong secrets in that hour.
   * @default 50
   */
  authFailuresPerHour?: number
}

export interface MaintenanceParts {
  store: KeyStore
  prefix: string
  notifier: Notifier
  audit: AuditTrail
  events: EventSink
  now: () => number
  holder: string
  notify: Required<Omit<NotifyOptions, 'creditsBelow'>> & { creditsBelow: number | null }
  /** Writes this instance's pending usage, so failure spikes are seen. */
  flushUsage: () => Promise<void>
  /** Usage pruning, when usage is kept. */
  pruneUsage: (now: number) => Promise<void>
  disableUnused: (id: string) => Promise<unknown>
}

/** What one maintenance pass did. */
export interface MaintenanceReport {
  /** Whether this instance held the lease and so scanned keys (deliveries are made either way). */
  scanned: boolean
  /** Notifications this pass emitted. */
  notified: number
  delivered: number
  failed: number
}

const LEASE_MS = 5 * 60_000
const PAGE = 500
const HOUR_MS = 3_600_000

/** One pass of notifications and housekeeping, under a lease so one instance scans at a time. */
export async function runMaintenance(p: MaintenanceParts): Promise<MaintenanceReport> {
  const report: MaintenanceReport = { scanned: false, notified: 0, delivered: 0, failed: 0 }
  const now = p.now()
  const lease = p.store.acquireLease
  if (lease === undefined || (await lease.call(p.store, `maintenance:${p.prefix}`, p.holder, LEASE_MS, now))) {
    report.scanned = true
    report.notified += await scanKeys(p, now)
    report.notified += await failureSpikes(p, now)
    await p.audit.prune(now)
    await p.pruneUsage(now)
    await p.store.pruneNotifications?.(now - 400 * 24 * HOUR_MS)
  }
  Object.assign(report, await p.notifier.deliver())
  return report
}

async function scanKeys(p: MaintenanceParts, now: number): Promise<number> {
  let notified = 0
  let cursor: string | undefined
  do {
    const page = await p.store.list({ prefix: p.prefix, includeRevoked: false, limit: PAGE, ...(cursor !== undefined && { cursor }) })
    for (const record of page.items) if (record.prefix === p.prefix) notified += await checkKey(p, record, now)
    cursor = page.nextCursor
  } while (cursor !== undefined)
  return notified
}

async function checkKey(p: MaintenanceParts, record: ApiKeyRecord, now: number): Promise<number> {
  if (statusOf(record, now) !== 'active') return 0
  const { notify, notifier } = p
  const subject = { keyId: record.id, ownerId: record.ownerId }
  let notified = 0
  const expiresAt = record.expiresAt?.getTime()
  if (expiresAt !== undefined && record.rotatedToId === null && expiresAt - now <= notify.expiringWithinMs) {
    const emitted = await notifier.notify(`key.expiring_soon:${record.id}:${expiresAt}`, {
      type: 'key.expiring_soon',
      ...subject,
      expiresAt: new Date(expiresAt),
    })
    notified += Number(emitted)
  }
  const idleSince = (record.lastUsedAt ?? record.createdAt).getTime()
  if (now - idleSince >= notify.unusedForMs) {
    const emitted = await notifier.notify(`key.unused:${record.id}:${idleSince}`, {
      type: 'key.unused',
      ...subject,
      lastUsedAt: record.lastUsedAt,
    })
    notified += Number(emitted)
    if (emitted && notify.autoDisableUnused)
      await p
        .disableUnused(record.id)
        .catch((error: unknown) =>
          p.events.emit({ type: 'store.error', operation: 'maintenance', keyId: record.id, cause: causeText(error) }),
        )
  }
  const credits = record.credits
  if (notify.creditsBelow !== null && credits !== null && credits.remaining < notify.creditsBelow) {
    const emitted = await notifier.notify(`key.credits_low:${record.id}:${credits.refilledAt ?? 0}`, {
      type: 'key.credits_low',
      ...subject,
      creditsRemaining: credits.remaining,
    })
    notified += Number(emitted)
  }
  return notified
}

/** `key.auth_failures` for each key id with a spike of wrong secrets in the last full hour and this one. */
async function failureSpikes(p: MaintenanceParts, now: number): Promise<number> {
  if (typeof p.store.readUsage !== 'function') return 0
  await p.flushUsage()
  const hour = bucketStart(now, 'hour')
  const rows = await p.store.readUsage({ prefix: p.prefix, granularity: 'hour', from: hour - HOUR_MS, to: hour + HOUR_MS })
  let notified = 0
  for (const row of rows)
    if (row.outcome === 'invalid' && row.count >= p.notify.authFailuresPerHour) {
      const emitted = await p.notifier.notify(`key.auth_failures:${row.keyId}:${row.start}`, {
        type: 'key.auth_failures',
        keyId: row.keyId,
        ownerId: row.ownerId,
        failures: row.count,
        windowStart: new Date(row.start),
      })
      notified += Number(emitted)
    }
  return notified
}
