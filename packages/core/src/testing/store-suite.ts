/**
 * The `KeyStore` conformance suite. A store author proves a store with one call inside a vitest
 * test file:
 *
 * @example
 * import { runKeyStoreConformance } from '@keyward/core/testing'
 * runKeyStoreConformance('MyStore', async () => new MyStore(await freshDatabase()))
 */
import { afterEach, describe, expect, it } from 'vitest'
import { analyticsConformance } from './analytics-suite.js'
import { insertManyConformance } from './insert-many-suite.js'
import { lastUsedConformance } from './last-used-suite.js'
import { limitsConformance } from './limits-suite.js'
import { rulesConformance } from './rules-suite.js'
import { listConformance } from './list-suite.js'
// Imported by package name so a store and this suite share one copy of the core classes.
import { createKeyward, type KeyStore } from '@keyward/core'
import type { KeyChange } from '@keyward/core/store'
import { sampleRecord } from './sample-record.js'

export { sampleRecord }

/** Options of {@link runKeyStoreConformance}. */
export interface ConformanceOptions {
  /** Called after each test with the store it made, for example to close it. */
  dispose?: (store: KeyStore) => Promise<void> | void
  /**
   * How long a change notification may take to arrive, for stores with `subscribe`.
   * @default 1000
   */
  notifyWithinMs?: number
  /**
   * Open a second store over the same data as `store`, as another process would. With it, the suite
   * also checks that changes made through one store reach the other's subscribers (what keeps the
   * caches of many app instances fresh). Stores without `subscribe` skip that test.
   * @example (store) => new MyStore({ url: TEST_URL, namespace: (store as MyStore).namespace })
   */
  openPeer?: (store: KeyStore) => KeyStore | Promise<KeyStore>
  /**
   * Time allowed to the tests that make thousands of store calls (1,000 concurrent verifies, twice),
   * for a store reached through a slow bridge (a Worker under test, a remote database).
   * @default 30000
   */
  heavyTestTimeoutMs?: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Register the conformance tests for a store. `createStore` is called once per test and must
 * return an empty store.
 */
export function runKeyStoreConformance(
  name: string,
  createStore: () => KeyStore | Promise<KeyStore>,
  options: ConformanceOptions = {},
): void {
  describe(`KeyStore conformance: ${name}`, () => {
    const made: KeyStore[] = []
    const fresh = async () => {
      const store = await createStore()
      made.push(store)
      return store
    }
    afterEach(async () => {
      for (const store of made.splice(0)) await options.dispose?.(store)
    })

    it('round-trips every field of a record', async () => {
      const store = await fresh()
      const full = sampleRecord({
        ownerId: null,
        expiresAt: new Date(Date.UTC(2030, 5, 1, 0, 0, 0, 1)),
        disabledAt: new Date(Date.UTC(2026, 1, 1)),
        lastUsedAt: new Date(Date.UTC(2026, 1, 2)),
        rotatedFromId: 'AAAAAAAAAAAA',
        rateLimit: { limit: 100, windowMs: 60_000 },
        rateLimits: [
          { name: 'tokens', limit: 10_000, windowMs: 60_000, algorithm: 'sliding' },
          { name: 'burst', limit: 5, windowMs: 1_000 },
        ],
        credits: { remaining: 5, refill: { amount: 10, intervalMs: 86_400_000 } },
        notBefore: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
        roles: ['reader', 'billing-admin'],
        allowedIps: ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7'],
        metadata: { deep: { a: [{ b: 'ü ✓ "quoted"' }] }, n: -1.5 },
        algorithm: 'legacy-sha256',
        importedAt: new Date(Date.UTC(2026, 0, 3, 4, 5, 6, 7)),
        legacyHash: '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy',
      })
      await store.insert(full)
      expect(await store.findById(full.id)).toEqual(full)
      const plain = sampleRecord({ algorithm: 'sha256', pepperId: null, scopes: [], metadata: {} })
      await store.insert(plain)
      expect(await store.findById(plain.id)).toEqual(plain)
    })

    it('returns null for an unknown id', async () => {
      const store = await fresh()
      expect(await store.findById('ZZZZZZZZZZZZ')).toBeNull()
    })

    it('rejects a duplicate id with DuplicateKeyIdError and keeps the original', async () => {
      const store = await fresh()
      const original = sampleRecord()
      await store.insert(original)
      const error = await store.insert(sampleRecord({ id: original.id, name: 'impostor' })).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(Error)
      expect((error as { code?: string }).code).toBe('duplicate_id')
      expect((await store.findById(original.id))?.name).toBe('Conformance key')
    })

    it('updates only the patched fields and increments the revision', async () => {
      const store = await fresh()
      const record = sampleRecord()
      await store.insert(record)
      const disabledAt = new Date(Date.UTC(2026, 2, 3))
      const updated = await store.update(record.id, { name: 'Renamed', disabledAt, scopes: ['*'] })
      const expected = { ...record, name: 'Renamed', disabledAt, scopes: ['*'], revision: 1 }
      expect(updated).toEqual(expected)
      expect(await store.findById(record.id)).toEqual(expected)
      const cleared = await store.update(record.id, { disabledAt: null, metadata: {}, credits: { remaining: 3, refill: null } })
      expect(cleared).toMatchObject({ disabledAt: null, metadata: {}, credits: { remaining: 3, refill: null }, revision: 2 })
      expect(await store.update('ZZZZZZZZZZZZ', { name: 'x' })).toBeNull()
    })

    it('applies a conditional update only at the expected revision', async () => {
      const store = await fresh()
      const record = sampleRecord()
      await store.insert(record)
      expect(await store.update(record.id, { name: 'stale' }, { expectedRevision: 7 })).toBeNull()
      expect((await store.findById(record.id))?.name).toBe('Conformance key')
      expect(await store.update(record.id, { name: 'fresh' }, { expectedRevision: 0 })).toMatchObject({ name: 'fresh', revision: 1 })
    })

    it('lets exactly one of many concurrent conditional updates win (rotation race)', async () => {
      const store = await fresh()
      const record = sampleRecord()
      await store.insert(record)
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          store.update(record.id, { rotatedToId: `SUCCESSOR${String(i).padStart(3, '0')}` }, { expectedRevision: 0 }),
        ),
      )
      const winners = results.filter((r) => r !== null)
      expect(winners).toHaveLength(1)
      expect((await store.findById(record.id))?.rotatedToId).toBe(winners[0]!.rotatedToId)
    })

    it('loses no concurrent unconditional update of different fields', async () => {
      const store = await fresh()
      const record = sampleRecord()
      await store.insert(record)
      const disabledAt = new Date(Date.UTC(2026, 3, 4))
      await Promise.all([
        store.update(record.id, { name: 'A' }),
        store.update(record.id, { disabledAt }),
        store.update(record.id, { scopes: ['x:y'] }),
        store.update(record.id, { metadata: { m: 1 } }),
      ])
      expect(await store.findById(record.id)).toMatchObject({ name: 'A', disabledAt, scopes: ['x:y'], metadata: { m: 1 }, revision: 4 })
    })

    it('deletes a record and reports whether it existed', async () => {
      const store = await fresh()
      const record = sampleRecord()
      await store.insert(record)
      expect(await store.delete(record.id)).toBe(true)
      expect(await store.findById(record.id)).toBeNull()
      expect(await store.delete(record.id)).toBe(false)
    })

    it('records last use in batches, keeping the later time and ignoring unknown ids', async () => {
      const store = await fresh()
      const a = sampleRecord()
      const b = sampleRecord()
      await store.insert(a)
      await store.insert(b)
      const t1 = new Date(Date.UTC(2026, 5, 1, 10))
      const t2 = new Date(Date.UTC(2026, 5, 1, 11))
      await store.touch([
        { id: a.id, lastUsedAt: t2 },
        { id: b.id, lastUsedAt: t1 },
        { id: 'ZZZZZZZZZZZZ', lastUsedAt: t1 },
      ])
      await store.touch([{ id: a.id, lastUsedAt: t1 }])
      expect(await store.findById(a.id)).toEqual({ ...a, lastUsedAt: t2 })
      expect(await store.findById(b.id)).toEqual({ ...b, lastUsedAt: t1 })
      await store.touch([])
      // With the client address of that use, for stores that keep it (every store in this repository does).
      await store.touch([{ id: b.id, lastUsedAt: t2, from: '2001:db8::7' }])
      const found = await store.findById(b.id)
      expect(found?.lastUsedAt).toEqual(t2)
      if (found !== null && 'lastUsedFrom' in found) expect(found.lastUsedFrom).toBe('2001:db8::7')
    })

    it('notifies subscribers of inserts, updates and deletes (when it supports subscribe)', async () => {
      const store = await fresh()
      if (typeof store.subscribe !== 'function') return
      const within = options.notifyWithinMs ?? 1000
      const seen: string[] = []
      const unsubscribe = await store.subscribe((change: KeyChange) => seen.push(change.id))
      const waitFor = async (id: string, count: number) => {
        const deadline = Date.now() + within
        while (seen.filter((s) => s === id).length < count && Date.now() < deadline) await sleep(10)
        expect(seen.filter((s) => s === id).length).toBeGreaterThanOrEqual(count)
      }
      const record = sampleRecord()
      await store.insert(record)
      await waitFor(record.id, 1)
      await store.update(record.id, { revokedAt: new Date() })
      await waitFor(record.id, 2)
      await store.delete(record.id)
      await waitFor(record.id, 3)
      await unsubscribe()
      const after = seen.length
      const other = sampleRecord()
      await store.insert(other)
      await sleep(Math.min(within, 300))
      expect(seen.length).toBe(after)
    })

    it('notifies subscribers of changes made through another store on the same data (with openPeer)', async () => {
      const store = await fresh()
      if (typeof store.subscribe !== 'function' || options.openPeer === undefined) return
      const peer = await options.openPeer(store)
      made.push(peer)
      const within = options.notifyWithinMs ?? 1000
      const seen: string[] = []
      const unsubscribe = await store.subscribe((change: KeyChange) => seen.push(change.id))
      const waitFor = async (id: string, count: number) => {
        const deadline = Date.now() + within
        while (seen.filter((s) => s === id).length < count && Date.now() < deadline) await sleep(10)
        expect(seen.filter((s) => s === id).length, `notifications for ${id}`).toBeGreaterThanOrEqual(count)
      }
      const record = sampleRecord()
      await peer.insert(record)
      await waitFor(record.id, 1)
      expect(await store.findById(record.id)).toEqual(record)
      await peer.update(record.id, { revokedAt: new Date() })
      await waitFor(record.id, 2)
      await peer.delete(record.id)
      await waitFor(record.id, 3)
      await unsubscribe()
    })

    limitsConformance(fresh, sampleRecord, options.openPeer, options.heavyTestTimeoutMs)
    listConformance(fresh, sampleRecord)
    lastUsedConformance(fresh, sampleRecord)
    analyticsConformance(fresh, sampleRecord, options.openPeer)
    rulesConformance(fresh, sampleRecord, options.openPeer, options.heavyTestTimeoutMs)
    insertManyConformance(fresh, sampleRecord, options.heavyTestTimeoutMs)

    it('serves a full key lifecycle through Keyward, with one successor for concurrent rotations', async () => {
      const store = await fresh()
      const keyward = createKeyward({ prefix: 'conf_test', store, pepper: 'conformance-pepper-0123456789-abcdef' })
      try {
        const { key, info } = await keyward.create({ name: 'Lifecycle', ownerId: 'owner-z', scopes: ['messages:send'] })
        expect(await keyward.verify(key, { scopes: ['messages:send'] })).toMatchObject({ ok: true, key: { id: info.id } })
        await keyward.disable(info.id)
        expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'disabled' })
        await keyward.enable(info.id)
        const rotations = await Promise.allSettled([
          keyward.rotate(info.id, { gracePeriodMs: 60_000 }),
          keyward.rotate(info.id, { gracePeriodMs: 60_000 }),
          keyward.rotate(info.id, { gracePeriodMs: 60_000 }),
        ])
        const won = rotations.filter((r) => r.status === 'fulfilled')
        expect(won).toHaveLength(1)
        const successor = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof keyward.rotate>>>).value
        expect((await keyward.list({ ownerId: 'owner-z' })).items.map((k) => k.id).sort()).toEqual([info.id, successor.info.id].sort())
        expect(await keyward.verify(successor.key)).toMatchObject({ ok: true })
        expect(await keyward.verify(key)).toMatchObject({ ok: true })
        await keyward.revoke(info.id)
        expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'revoked' })
        await keyward.delete(successor.info.id)
        expect(await keyward.verify(successor.key)).toMatchObject({ ok: false, code: 'invalid' })
      } finally {
        await keyward.close()
      }
    })
  })
}
