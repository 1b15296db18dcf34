import type { UsageIncrement } from '@keyward/core/store'
import { describe, expect, it } from 'vitest'
import { remoteStore } from './remote.js'

const DAY0 = Date.UTC(2026, 2, 4)

describe('D1KeyStore usage batch ids', () => {
  it('applies a batch once, fails other errors as before, and forgets its id with the minute buckets of its earliest minute', async () => {
    const store = await remoteStore('usage_batches')
    const batch: UsageIncrement[] = [
      { keyId: 'AAAAAAAAAAAA', ownerId: null, prefix: 'kw', minute: DAY0 + 120_000, outcome: 'ok', count: 2 },
      { keyId: 'AAAAAAAAAAAA', ownerId: null, prefix: 'kw', minute: DAY0 + 60_000, outcome: 'ok', count: 1 },
    ]
    const day = () => store.readUsage!({ prefix: 'kw', granularity: 'day', from: DAY0, to: DAY0 + 1 }).then((rows) => rows[0]?.count)
    await store.addUsage!(batch, 'b1')
    await store.addUsage!(batch, 'b1')
    expect(await day()).toBe(3)
    // A batch that fails for another reason (here a NOT NULL outcome) rejects, and rolls its id back with it, so a retry applies it.
    await expect(store.addUsage!([{ ...batch[0]!, outcome: null as never }], 'b2')).rejects.toThrow()
    await store.addUsage!(batch, 'b2')
    expect(await day()).toBe(6)
    await store.pruneUsage!({ minute: DAY0 + 60_000, hour: 0, day: 0 }) // earliest minute not before the cutoff: kept
    await store.addUsage!(batch, 'b1')
    expect(await day()).toBe(6)
    await store.pruneUsage!({ minute: DAY0 + 60_001, hour: 0, day: 0 }) // forgotten: a retry now applies again
    await store.addUsage!(batch, 'b1')
    expect(await day()).toBe(9)
    await store.close!()
  })
})
