import { sampleRecord } from '@keyward/core/testing'
import { describe, expect, it } from 'vitest'
import { freshStore } from './helpers.js'

const T1 = new Date(Date.UTC(2026, 3, 1, 12))
const T2 = new Date(T1.getTime() + 60_000)
const T3 = new Date(T2.getTime() + 60_000)

describe('RedisKeyStore last use', () => {
  it('keeps the client address with the later last-used time, clears it when that use has none, and returns it only when stored', async () => {
    const store = freshStore()
    try {
      const record = sampleRecord({ ownerId: 'owner-last-used' })
      await store.insert(record)
      const read = async () => {
        const found = (await store.findById(record.id))!
        const { items } = await store.list({ ownerId: 'owner-last-used', includeRevoked: true, limit: 10 })
        expect(items.find((item) => item.id === record.id)).toStrictEqual(found)
        return { at: found.lastUsedAt, from: 'lastUsedFrom' in found ? found.lastUsedFrom : 'absent' }
      }
      expect(await read()).toEqual({ at: null, from: 'absent' })

      await store.touch([{ id: record.id, lastUsedAt: T2, from: '203.0.113.9' }])
      expect(await read()).toEqual({ at: T2, from: '203.0.113.9' })
      // An earlier use changes neither the time nor the address.
      await store.touch([{ id: record.id, lastUsedAt: T1, from: '198.51.100.1' }])
      expect(await read()).toEqual({ at: T2, from: '203.0.113.9' })
      // A later use from an unknown address clears the old one: it belongs to another use.
      await store.touch([{ id: record.id, lastUsedAt: T3 }])
      expect(await read()).toEqual({ at: T3, from: 'absent' })
      // Several entries in one batch, the later of the two for this key winning; IPv6 kept verbatim.
      const other = sampleRecord({ ownerId: 'owner-last-used' })
      await store.insert(other)
      const later = new Date(T3.getTime() + 1)
      await store.touch([
        { id: record.id, lastUsedAt: later, from: '2001:db8::7' },
        { id: other.id, lastUsedAt: T1, from: '' },
        { id: 'no-such-key', lastUsedAt: later, from: '192.0.2.1' },
      ])
      expect(await read()).toEqual({ at: later, from: '2001:db8::7' })
      expect((await store.findById(other.id))?.lastUsedFrom).toBe('')
      expect(await store.findById('no-such-key')).toBeNull()
      // Revision and updatedAt stay as they were.
      const found = await store.findById(record.id)
      expect(found).toEqual({ ...record, lastUsedAt: later, lastUsedFrom: '2001:db8::7' })
    } finally {
      await store.close()
    }
  })
})
