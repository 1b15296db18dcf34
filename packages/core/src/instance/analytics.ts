import type { AnalyticsOptions, MeterLike } from '../analytics-api.js'
import type { UsageOutcome } from '../analytics-types.js'
import { optionNumber } from '../config.js'
import { cryptoRandom, randomBase62 } from '../lib/base62.js'
import { causeText } from '../lib/cause-text.js'
import { runMaintenance, type MaintenanceReport } from '../notify/maintenance.js'
import { Notifier } from '../notify/notifier.js'
import type { KeyStore } from '../types.js'
import { UsageCounter } from '../usage/counter.js'
import { UsageReader } from '../usage/reader.js'
import { AuditTrail } from './audit-trail.js'
import type { EventSink } from './events.js'

const DAY_MS = 86_400_000

export interface AnalyticsParts {
  store: KeyStore
  prefix: string
  events: EventSink
  now: () => number
  isKeyId: (id: unknown) => id is string
  /** Disable a key for maintenance (`autoDisableUnused`), through the audited path. */
  disable: (id: string) => Promise<unknown>
}

/** Usage counting and reading, the audit trail, notifications, maintenance and metrics of one instance. */
export class Analytics {
  readonly usage: UsageCounter | null
  readonly reader: UsageReader
  readonly audit: AuditTrail
  readonly notifier: Notifier
  readonly metrics: VerifyMetrics | null
  readonly #run: () => Promise<MaintenanceReport>
  readonly #events: EventSink
  #timer: ReturnType<typeof setInterval> | undefined
  #running: Promise<MaintenanceReport> | undefined

  constructor(options: AnalyticsOptions, parts: AnalyticsParts) {
    const { store, prefix, events, now } = parts
    this.#events = events
    const holder = randomBase62(16, cryptoRandom)
    const usage = options.usage ?? {}
    const retention = usage === false ? {} : (usage.retention ?? {})
    const cutoffs = {
      minute: optionNumber('usage.retention.minute', retention.minute, 2 * DAY_MS, 60_000),
      hour: optionNumber('usage.retention.hour', retention.hour, 35 * DAY_MS, 3_600_000),
      day: optionNumber('usage.retention.day', retention.day, 400 * DAY_MS, DAY_MS),
    }
    this.usage =
      usage === false || typeof store.addUsage !== 'function'
        ? null
        : new UsageCounter({
            prefix,
            flushMs: optionNumber('usage.flushMs', usage.flushMs, 10_000, 10),
            write: (increments, batchId) => store.addUsage!(increments, batchId),
            onError: (error) => events.emit({ type: 'store.error', operation: 'usage', cause: causeText(error) }),
          })
    const flushUsage = () => this.usage?.flush() ?? Promise.resolve()
    this.reader = new UsageReader({ store, prefix, flush: flushUsage, isKeyId: parts.isKeyId })
    const audit = options.audit ?? {}
    this.audit = new AuditTrail({
      store,
      prefix,
      enabled: audit !== false && typeof store.listAudit === 'function',
      retentionMs: audit === false ? 0 : optionNumber('audit.retentionMs', audit.retentionMs, 400 * DAY_MS, DAY_MS),
      isKeyId: parts.isKeyId,
    })
    if (options.webhooks !== undefined && typeof options.webhooks?.send !== 'function')
      throw new TypeError('webhooks must be a NotificationSender, such as standardWebhooks({ url, secret }) from @keyward/webhooks')
    this.notifier = new Notifier({ store, events, sender: options.webhooks ?? null, now, holder })
    const notify = options.notify ?? {}
    const creditsBelow = notify.creditsBelow === undefined ? null : optionNumber('notify.creditsBelow', notify.creditsBelow, 0, 1)
    const maintenance = {
      store,
      prefix,
      notifier: this.notifier,
      audit: this.audit,
      events,
      now,
      holder,
      notify: {
        expiringWithinMs: optionNumber('notify.expiringWithinMs', notify.expiringWithinMs, 7 * DAY_MS, 0),
        unusedForMs: optionNumber('notify.unusedForMs', notify.unusedForMs, 90 * DAY_MS, 1),
        autoDisableUnused: notify.autoDisableUnused === true,
        creditsBelow,
        authFailuresPerHour: optionNumber('notify.authFailuresPerHour', notify.authFailuresPerHour, 50, 1),
      },
      flushUsage,
      pruneUsage: async (at: number) => {
        if (this.usage !== null) await store.pruneUsage?.({ minute: at - cutoffs.minute, hour: at - cutoffs.hour, day: at - cutoffs.day })
      },
      disableUnused: parts.disable,
    }
    this.#run = () => runMaintenance(maintenance)
    this.metrics = options.metrics === undefined ? null : new VerifyMetrics(options.metrics)
  }

  /** One maintenance pass; a pass already running is joined, not doubled. */
  runMaintenance(): Promise<MaintenanceReport> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  startMaintenance(intervalMs: number): void {
    this.stopMaintenance()
    const tick = () =>
      void this.runMaintenance().catch((error: unknown) =>
        this.#events.emit({ type: 'store.error', operation: 'maintenance', cause: causeText(error) }),
      )
    this.#timer = setInterval(tick, intervalMs)
    ;(this.#timer as { unref?: () => void }).unref?.()
    tick()
  }

  stopMaintenance(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  async close(): Promise<void> {
    this.stopMaintenance()
    await this.#running?.catch(() => undefined)
    await this.usage?.flush()
  }
}

/** Verification counts and durations on an OpenTelemetry meter. */
export class VerifyMetrics {
  readonly #count: ReturnType<MeterLike['createCounter']>
  readonly #duration: ReturnType<MeterLike['createHistogram']>
  readonly #attributes = new Map<string, Record<string, string>>()

  constructor(meter: MeterLike) {
    if (typeof meter?.createCounter !== 'function' || typeof meter.createHistogram !== 'function')
      throw new TypeError('metrics must be an OpenTelemetry Meter (createCounter, createHistogram)')
    this.#count = meter.createCounter('keyward.verifications', { description: 'API key verifications, by outcome' })
    this.#duration = meter.createHistogram('keyward.verify.duration', { description: 'Time to verify an API key', unit: 'ms' })
  }

  record(outcome: UsageOutcome | string, durationMs: number): void {
    let attributes = this.#attributes.get(outcome)
    if (attributes === undefined) this.#attributes.set(outcome, (attributes = { outcome }))
    this.#count.add(1, attributes)
    this.#duration.record(durationMs, attributes)
  }
}
