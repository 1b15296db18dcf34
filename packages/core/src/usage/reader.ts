import type { UsageGranularity, UsageOutcome, UsageRow } from '../analytics-types.js'
import { validateGranularity, validateLimit, validateRange } from '../analytics-validate.js'
import { InvalidInputError } from '../errors.js'
import { toStoreError } from '../instance/store-errors.js'
import type { KeyStore } from '../types.js'
import { bucketSpan, bucketStart } from '../usage-buckets.js'
import { validateOptionsBag, validateOwnerId } from '../validate.js'

/** Usage counts of one bucket, by outcome (outcomes with no verification are absent). */
export type UsageCounts = Partial<Record<UsageOutcome, number>>

/** One bucket of {@link UsageReport}. */
export interface UsageBucket {
  start: Date
  counts: UsageCounts
}

/** What `keyward.usage()` returns: every bucket in the range, oldest first, empty ones included. */
export interface UsageReport {
  buckets: UsageBucket[]
}

/** One row of `keyward.topKeys()`. */
export interface KeyUsageTotal {
  keyId: string
  /** Every verification counted, whatever its outcome. */
  total: number
  counts: UsageCounts
}

/** Query of `keyward.usage()`: one key's or one owner's buckets (all keys of the deployment without either). */
export interface UsageOptions {
  keyId?: string
  ownerId?: string
  from: Date | number
  to: Date | number
  granularity: UsageGranularity
}

/** Query of `keyward.topKeys()`. */
export interface TopKeysOptions {
  ownerId?: string
  from: Date | number
  to: Date | number
  /** @default 10 */
  limit?: number
}

const MAX_BUCKETS = 10_000

export interface UsageReaderParts {
  store: KeyStore
  prefix: string
  /** Writes this instance's pending counts first, so a read sees them. */
  flush: () => Promise<void>
  isKeyId: (id: unknown) => id is string
}

/** Reads usage from the store: buckets for charts, and keys ranked by use. */
export class UsageReader {
  readonly #p: UsageReaderParts

  constructor(parts: UsageReaderParts) {
    this.#p = parts
  }

  async usage(options: UsageOptions): Promise<UsageReport> {
    const fields = validateOptionsBag(options, 'options', ['keyId', 'ownerId', 'from', 'to', 'granularity'])
    const granularity = validateGranularity(fields.granularity)
    const span = bucketSpan(granularity)
    const range = validateRange(fields.from, fields.to)
    const first = bucketStart(range.from, granularity)
    if ((range.to - first) / span > MAX_BUCKETS)
      throw new InvalidInputError('to', `makes more than ${MAX_BUCKETS} ${granularity} buckets; use a coarser granularity`)
    const rows = await this.#read({ ...this.#filter(fields), granularity, from: first, to: range.to })
    const buckets: UsageBucket[] = []
    const byStart = new Map<number, UsageCounts>()
    for (let start = first; start < range.to; start += span) {
      const counts: UsageCounts = {}
      byStart.set(start, counts)
      buckets.push({ start: new Date(start), counts })
    }
    for (const row of rows) {
      const counts = byStart.get(row.start)
      if (counts) counts[row.outcome] = (counts[row.outcome] ?? 0) + row.count
    }
    return { buckets }
  }

  async topKeys(options: TopKeysOptions): Promise<KeyUsageTotal[]> {
    const fields = validateOptionsBag(options, 'options', ['ownerId', 'from', 'to', 'limit'])
    const range = validateRange(fields.from, fields.to)
    const limit = validateLimit(fields.limit, 10, 1000)
    // The coarsest buckets that the range's ends fall on: fewest rows, same totals.
    const granularity =
      (['day', 'hour'] as const).find((g) => range.from % bucketSpan(g) === 0 && range.to % bucketSpan(g) === 0) ?? 'minute'
    const rows = await this.#read({ ...this.#filter(fields), granularity, from: bucketStart(range.from, granularity), to: range.to })
    const totals = new Map<string, KeyUsageTotal>()
    for (const row of rows) {
      let entry = totals.get(row.keyId)
      if (entry === undefined) totals.set(row.keyId, (entry = { keyId: row.keyId, total: 0, counts: {} }))
      entry.total += row.count
      entry.counts[row.outcome] = (entry.counts[row.outcome] ?? 0) + row.count
    }
    return [...totals.values()].sort((a, b) => b.total - a.total || (a.keyId < b.keyId ? -1 : 1)).slice(0, limit)
  }

  #filter(fields: Record<string, unknown>): { keyId?: string; ownerId?: string } {
    const filter: { keyId?: string; ownerId?: string } = {}
    if (fields.keyId !== undefined) {
      if (!this.#p.isKeyId(fields.keyId)) throw new InvalidInputError('keyId', 'must be the id of a key (not a whole key)')
      filter.keyId = fields.keyId
    }
    const ownerId = validateOwnerId(fields.ownerId)
    if (ownerId !== null) filter.ownerId = ownerId
    return filter
  }

  async #read(query: { keyId?: string; ownerId?: string; granularity: UsageGranularity; from: number; to: number }): Promise<UsageRow[]> {
    const { store, prefix } = this.#p
    if (typeof store.readUsage !== 'function') throw new InvalidInputError('usage', 'this store keeps no usage (it has no readUsage)')
    await this.#p.flush()
    try {
      return await store.readUsage({ ...query, prefix })
    } catch (error) {
      throw toStoreError('usage', error)
    }
  }
}
