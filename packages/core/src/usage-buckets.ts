import type { UsageGranularity } from './analytics-types.js'

const SPAN_MS: Record<UsageGranularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }

/** The length of one bucket of `granularity`, in milliseconds. */
export function bucketSpan(granularity: UsageGranularity): number {
  return SPAN_MS[granularity]
}

/** The start (epoch milliseconds) of the UTC bucket of `granularity` that contains `time`. */
export function bucketStart(time: number, granularity: UsageGranularity): number {
  const span = SPAN_MS[granularity]
  return Math.floor(time / span) * span
}

/**
 * The three buckets one usage increment is added to: its minute, and the UTC hour and day that
 * contain it. Stores roll usage up by adding to all three.
 *
 * @example
 * for (const [granularity, start] of usageBuckets(increment.minute)) upsert(granularity, start, increment)
 */
export function usageBuckets(minute: number): [UsageGranularity, number][] {
  return [
    ['minute', bucketStart(minute, 'minute')],
    ['hour', bucketStart(minute, 'hour')],
    ['day', bucketStart(minute, 'day')],
  ]
}
