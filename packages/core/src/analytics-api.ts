import type { AuditActor, NotificationSender } from './analytics-types.js'
import type { NotifyOptions } from './notify/maintenance.js'

/** The last argument of every mutation: who made it, for the audit log and events. */
export interface MutationOptions {
  /**
   * The person or service making the change, and where from. The management handler fills it from
   * the request (`authorize`'s `actorId`, the client address, the User-Agent).
   * @example { actor: { id: 'user_42', ip: '203.0.113.7', userAgent: 'Mozilla/5.0 …' } }
   */
  actor?: AuditActor
}

/** An OpenTelemetry `Meter`, structurally: Keyward depends on no OpenTelemetry package. */
export interface MeterLike {
  createCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    add(value: number, attributes?: Record<string, string>): void
  }
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    record(value: number, attributes?: Record<string, string>): void
  }
}

/** Options of {@link createKeyward} for usage analytics, the audit log, notifications and metrics. */
export interface AnalyticsOptions {
  /**
   * Usage per key, counted by outcome in minute buckets in process and written in one batch per
   * `flushMs` (never on the request path), rolled up to hours and days in the store; kept per
   * granularity for `retention` (milliseconds). On when the store has `addUsage`.
   * @default { flushMs: 10_000, retention: { minute: 2 days, hour: 35 days, day: 400 days } }
   */
  usage?: false | { flushMs?: number; retention?: { minute?: number; hour?: number; day?: number } }
  /**
   * The audit log: every change with who made it, in the change's transaction. On when the store
   * has `listAudit`; entries older than `retentionMs` are removed by maintenance.
   * @default { retentionMs: 400 days }
   */
  audit?: false | { retentionMs?: number }
  /** When maintenance (`runMaintenance`, `startMaintenance`) notifies. */
  notify?: NotifyOptions
  /**
   * Where notifications go besides `hooks.onEvent`: `standardWebhooks({ url, secret })` from
   * `@keyward/webhooks` signs and POSTs them per the Standard Webhooks specification. Deliveries
   * are kept in the store and retried with exponential backoff (5 s doubling, at most 1 h).
   */
  webhooks?: NotificationSender
  /** Records `keyward.verifications` (by `outcome`) and `keyward.verify.duration` (ms) on this meter. */
  metrics?: MeterLike
}
