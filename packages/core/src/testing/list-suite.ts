import { createKeyward, type KeyStore } from '@keyward/core'
import type { ApiKeyRecord, StoreListQuery } from '@keyward/core/store'
import { describe, expect, it } from 'vitest'

/** Cursors no store made: garbage, base64 of nonsense, numbers no date can hold, wrong types. */
const TAMPERED_CURSORS: unknown[] = [
  '',
  'garbage',
  '"; drop table keys; --',
  'eyJjcmVhdGVkQXQiOiJub3BlIiwiaWQiOjF9', // base64 of {"createdAt":"nope","id":1}
  'bm9uc2Vuc2U=',
  '9999999999999999.AAAAAAAAAAAA', // past the largest Date
  '8640000000000001.AAAAAAAAAAAA',
  '99999999999999999999.AAAAAAAAAAAA',
  '-1.AAAAAAAAAAAA',
  '1e300.AAAAAAAAAAAA',
  '1767225600000.',
  '1767225600000.id with spaces',
  `1767225600000.${'A'.repeat(65)}`,
  '1767225600000.AAAA.BBBB',
  12345,
  { createdAt: 1, id: 'A' },
  ['1767225600000', 'AAAA'],
  null,
]

/**
 * Conformance tests for listing: one deployment's prefix at a time, and cursors the caller may
 * have tampered with. Registered by `runKeyStoreConformance` inside its describe block.
 */
export function listConformance(fresh: () => Promise<KeyStore>, sample: (overrides?: Partial<ApiKeyRecord>) => ApiKeyRecord): void {
  describe('listing by deployment prefix', () => {
    it('lists only the records of the given prefix, by owner and revocation, in pages', async () => {
      const store = await fresh()
      const base = Date.UTC(2026, 6, 1)
      const records = Array.from({ length: 30 }, (_, i) =>
        sample({
          prefix: i % 3 === 0 ? 'acme_test' : 'acme_live',
          createdAt: new Date(base + Math.floor(i / 2) * 1000), // pairs share a timestamp
          ownerId: i % 4 === 0 ? 'owner-b' : 'owner-a',
          revokedAt: i % 5 === 0 ? new Date(base + 99_000) : null,
        }),
      )
      for (const record of records) await store.insert(record)
      const order = (list: ApiKeyRecord[]) =>
        [...list].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)).map((r) => r.id)
      const collect = async (query: Omit<StoreListQuery, 'cursor'>) => {
        const ids: string[] = []
        let cursor: string | undefined
        for (let pages = 0; pages < 50; pages++) {
          const page = await store.list({ ...query, ...(cursor !== undefined && { cursor }) })
          expect(page.items.length).toBeLessThanOrEqual(query.limit)
          ids.push(...page.items.map((r) => r.id))
          if (page.nextCursor === undefined) break
          cursor = page.nextCursor
        }
        return ids
      }
      for (const prefix of ['acme_live', 'acme_test'])
        for (const ownerId of [undefined, 'owner-a', 'owner-b'])
          for (const includeRevoked of [true, false]) {
            const expected = order(
              records.filter(
                (r) => r.prefix === prefix && (ownerId === undefined || r.ownerId === ownerId) && (includeRevoked || r.revokedAt === null),
              ),
            )
            const query = { prefix, includeRevoked, limit: 3, ...(ownerId !== undefined && { ownerId }) }
            expect(await collect(query), JSON.stringify(query)).toEqual(expected)
          }
      expect(await collect({ includeRevoked: true, limit: 7 })).toEqual(order(records))
      expect((await store.list({ prefix: 'acme_other', includeRevoked: true, limit: 10 })).items).toEqual([])
      expect((await store.list({ prefix: 'acme', includeRevoked: true, limit: 10 })).items).toEqual([])
    })

    it('gives a Keyward instance only its own keys when two deployments share the store', async () => {
      const store = await fresh()
      const live = createKeyward({ prefix: 'acme_live', store, throttle: false, lastUsed: false })
      const test = createKeyward({ prefix: 'acme_test', store, throttle: false, lastUsed: false })
      try {
        const own = await live.create({ name: 'live key', ownerId: 'o1' })
        const other = await test.create({ name: 'test key', ownerId: 'o1' })
        const page = await store.list({ prefix: 'acme_live', ownerId: 'o1', includeRevoked: false, limit: 10 })
        expect(page.items.map((r) => r.id)).toEqual([own.info.id])
        expect(page.items.map((r) => r.id)).not.toContain(other.info.id)
      } finally {
        await live.close()
        await test.close()
      }
    })
  })

  describe('tampered list cursors', () => {
    it('rejects every cursor it did not make with InvalidInputError (field "cursor"), and stays usable', async () => {
      const store = await fresh()
      const record = sample()
      await store.insert(record)
      for (const cursor of TAMPERED_CURSORS)
        for (const query of [{}, { ownerId: 'owner-1' }, { prefix: 'conf_test' }]) {
          const error = await store.list({ includeRevoked: true, limit: 5, ...query, cursor: cursor as string }).then(
            () => undefined,
            (e: unknown) => e,
          )
          expect(error, `cursor ${JSON.stringify(cursor)}`).toMatchObject({ code: 'invalid_input', field: 'cursor' })
        }
      expect((await store.list({ includeRevoked: true, limit: 5 })).items.map((r) => r.id)).toEqual([record.id])
    })

    it("makes a tampered cursor the caller's mistake (invalid_input, HTTP 400) through Keyward, never store_unavailable", async () => {
      const store = await fresh()
      const keyward = createKeyward({ prefix: 'conf_test', store, throttle: false, lastUsed: false })
      try {
        for (const cursor of TAMPERED_CURSORS.filter((c) => typeof c === 'string'))
          await expect(keyward.list({ cursor: cursor as string }), `cursor ${JSON.stringify(cursor)}`).rejects.toMatchObject({
            code: 'invalid_input',
          })
      } finally {
        await keyward.close()
      }
    })
  })
  describe('listing', () => {
    it('lists newest first, by owner, hiding revoked records unless asked, in pages', async () => {
      const store = await fresh()
      const base = Date.UTC(2026, 4, 1)
      const records = Array.from({ length: 23 }, (_, i) =>
        sample({
          createdAt: new Date(base + Math.floor(i / 2) * 1000), // pairs share a timestamp: ties break on id
          ownerId: i % 3 === 0 ? 'owner-b' : 'owner-a',
          revokedAt: i % 5 === 0 ? new Date(base + 99_000) : null,
        }),
      )
      for (const record of records) await store.insert(record)
      const order = (list: ApiKeyRecord[]) =>
        [...list].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)).map((r) => r.id)

      const collect = async (query: { ownerId?: string; includeRevoked: boolean; limit: number }) => {
        const ids: string[] = []
        let cursor: string | undefined
        for (let pages = 0; pages < 50; pages++) {
          const page = await store.list({ ...query, ...(cursor !== undefined && { cursor }) })
          expect(page.items.length).toBeLessThanOrEqual(query.limit)
          ids.push(...page.items.map((r) => r.id))
          if (page.nextCursor === undefined) break
          cursor = page.nextCursor
        }
        return ids
      }
      expect(await collect({ includeRevoked: true, limit: 4 })).toEqual(order(records))
      expect(await collect({ includeRevoked: false, limit: 5 })).toEqual(order(records.filter((r) => r.revokedAt === null)))
      expect(await collect({ ownerId: 'owner-b', includeRevoked: true, limit: 3 })).toEqual(
        order(records.filter((r) => r.ownerId === 'owner-b')),
      )
      expect(await collect({ ownerId: 'owner-a', includeRevoked: false, limit: 100 })).toEqual(
        order(records.filter((r) => r.ownerId === 'owner-a' && r.revokedAt === null)),
      )
      const first = await store.list({ includeRevoked: true, limit: 100 })
      expect(first.items[0]).toEqual(records.find((r) => r.id === order(records)[0]))
      expect(first.nextCursor).toBeUndefined()
      expect((await store.list({ ownerId: 'nobody', includeRevoked: true, limit: 10 })).items).toEqual([])
    })

    it('keeps pagination stable while records are inserted between pages', async () => {
      const store = await fresh()
      const base = Date.UTC(2026, 4, 1)
      const originals = Array.from({ length: 12 }, (_, i) => sample({ createdAt: new Date(base + i * 1000) }))
      for (const record of originals) await store.insert(record)
      const seen: string[] = []
      let cursor: string | undefined
      for (let page = 0; page < 20; page++) {
        const result = await store.list({ includeRevoked: true, limit: 5, ...(cursor !== undefined && { cursor }) })
        seen.push(...result.items.map((r) => r.id))
        // Concurrent inserts: newer, older and same-timestamp records.
        await store.insert(sample({ createdAt: new Date(base + 50_000 + page) }))
        await store.insert(sample({ createdAt: new Date(base + 5_000) }))
        if (result.nextCursor === undefined) break
        cursor = result.nextCursor
      }
      expect(new Set(seen).size).toBe(seen.length)
      for (const record of originals) expect(seen).toContain(record.id)
    })

    it('rejects a cursor it did not make', async () => {
      const store = await fresh()
      await expect(store.list({ includeRevoked: true, limit: 5, cursor: '"; drop table keys; --' })).rejects.toMatchObject({
        code: 'invalid_input',
      })
    })
  })
}
