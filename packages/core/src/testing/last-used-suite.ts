import type { KeyStore } from '@keyward/core'
import type { ApiKeyRecord } from '@keyward/core/store'
import { expect, it } from 'vitest'

const T1 = new Date(Date.UTC(2026, 3, 1, 12))
const T2 = new Date(T1.getTime() + 60_000)
const T3 = new Date(T2.getTime() + 60_000)

/**
 * Conformance tests for the client address of the last use (`lastUsedFrom`), for stores that keep
 * it: a store that returns none after a touch with an address is taken not to, and must then never
 * return the property. Registered by `runKeyStoreConformance` inside its describe block.
 */
export function lastUsedConformance(
  fresh: () => Promise<KeyStore>,
  sampleRecord: (overrides?: Partial<ApiKeyRecord>) => ApiKeyRecord,
): void {
  it('keeps the client address with the later last use, clears it when that use has none, and returns it only when stored', async () => {
    const store = await fresh()
    const ownerId = 'owner-last-used'
    const record = sampleRecord({ ownerId })
    await store.insert(record)
    /** What findById says, checked to be what list says too. */
    const read = async (id = record.id) => {
      const found = (await store.findById(id))!
      const { items } = await store.list({ ownerId, includeRevoked: true, limit: 10 })
      expect(items.find((item) => item.id === id)).toStrictEqual(found)
      return { at: found.lastUsedAt, from: 'lastUsedFrom' in found ? found.lastUsedFrom : 'absent' }
    }
    expect(await read()).toEqual({ at: null, from: 'absent' })

    await store.touch([{ id: record.id, lastUsedAt: T2, from: '203.0.113.9' }])
    const first = await read()
    if (first.from === 'absent') return // a store that keeps no address (and, rightly, returns no property)
    expect(first).toEqual({ at: T2, from: '203.0.113.9' })
    // An earlier use changes neither the time nor the address.
    await store.touch([{ id: record.id, lastUsedAt: T1, from: '198.51.100.1' }])
    expect(await read()).toEqual({ at: T2, from: '203.0.113.9' })
    // A later use from an unknown address clears the old one: it belongs to another use.
    await store.touch([{ id: record.id, lastUsedAt: T3 }])
    expect(await read()).toEqual({ at: T3, from: 'absent' })
    // One batch: IPv6 kept verbatim, an empty address is an address, an unknown id changes nothing.
    const other = sampleRecord({ ownerId })
    await store.insert(other)
    const later = new Date(T3.getTime() + 1)
    await store.touch([
      { id: record.id, lastUsedAt: later, from: '2001:db8::7' },
      { id: other.id, lastUsedAt: T1, from: '' },
      { id: 'ZZZZZZZZZZZZ', lastUsedAt: later, from: '192.0.2.1' },
    ])
    expect(await read()).toEqual({ at: later, from: '2001:db8::7' })
    expect(await read(other.id)).toEqual({ at: T1, from: '' })
    expect(await store.findById('ZZZZZZZZZZZZ')).toBeNull()
    // Nothing else changes: not the revision, not updatedAt.
    expect(await store.findById(record.id)).toEqual({ ...record, lastUsedAt: later, lastUsedFrom: '2001:db8::7' })
  })
}
