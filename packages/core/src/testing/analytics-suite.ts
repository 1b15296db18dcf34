import type { KeyStore } from '@keyward/core'
import { InvalidInputError, type ApiKeyRecord, type AuditRecord, type UsageIncrement } from '@keyward/core/store'
import { expect, it } from 'vitest'

const PREFIX = 'conf_test'
const DAY = 86_400_000
/** 2026-03-04 05:06 UTC: a minute inside an hour inside a day, none of them aligned to the next. */
const T0 = Date.UTC(2026, 2, 4, 5, 6)

function audit(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id: crypto.randomUUID().replaceAll('-', ''),
    at: new Date(T0),
    action: 'key.updated',
    prefix: PREFIX,
    keyId: 'AAAAAAAAAAAA',
    ownerId: 'owner-1',
    actor: { id: 'user-7', ip: '2001:db8::1', userAgent: 'Mozilla/5.0 "quoted" ü' },
    fields: ['name', 'scopes'],
    ...overrides,
  }
}

function usage(overrides: Partial<UsageIncrement> = {}): UsageIncrement {
  return { keyId: 'K1K1K1K1K1K1', ownerId: 'owner-1', prefix: PREFIX, minute: T0, outcome: 'ok', count: 1, ...overrides }
}

/** Sum of `count` per `start|outcome` (or per key) in rows. */
function totals(rows: { start: number; outcome: string; count: number; keyId: string }[], by: 'bucket' | 'key' = 'bucket') {
  const sums: Record<string, number> = {}
  for (const row of rows) {
    const slot = by === 'bucket' ? `${row.start}|${row.outcome}` : row.keyId
    sums[slot] = (sums[slot] ?? 0) + row.count
  }
  return sums
}

/**
 * Conformance tests for the optional usage, audit, notification-ledger and lease capabilities.
 * Each block runs when the store has the capability. Registered by `runKeyStoreConformance`.
 */
export function analyticsConformance(
  fresh: () => Promise<KeyStore>,
  sample: (overrides?: Partial<ApiKeyRecord>) => ApiKeyRecord,
  openPeer?: (store: KeyStore) => KeyStore | Promise<KeyStore>,
): void {
  it('adds usage to minute, hour and day buckets and reads them by key, owner and range (addUsage)', async () => {
    const store = await fresh()
    if (typeof store.addUsage !== 'function') return
    await store.addUsage([
      usage({ count: 3 }),
      usage({ outcome: 'invalid', count: 2 }),
      usage({ minute: T0 + 60_000, count: 4 }),
      usage({ minute: T0 + 3_600_000, count: 5 }),
      usage({ keyId: 'K2K2K2K2K2K2', ownerId: 'owner-2', count: 7 }),
      usage({ keyId: 'K3K3K3K3K3K3', prefix: 'other_prefix', count: 100 }),
    ])
    const read = (granularity: 'minute' | 'hour' | 'day', extra: object = {}) =>
      store.readUsage!({ prefix: PREFIX, granularity, from: T0 - DAY, to: T0 + DAY, ...extra })
    expect(totals(await read('minute', { keyId: 'K1K1K1K1K1K1' }))).toEqual({
      [`${T0}|ok`]: 3,
      [`${T0}|invalid`]: 2,
      [`${T0 + 60_000}|ok`]: 4,
      [`${T0 + 3_600_000}|ok`]: 5,
    })
    const hour = Date.UTC(2026, 2, 4, 5)
    expect(totals(await read('hour', { keyId: 'K1K1K1K1K1K1' }))).toEqual({
      [`${hour}|ok`]: 7,
      [`${hour}|invalid`]: 2,
      [`${hour + 3_600_000}|ok`]: 5,
    })
    const day = Date.UTC(2026, 2, 4)
    expect(totals(await read('day'), 'key')).toEqual({ K1K1K1K1K1K1: 14, K2K2K2K2K2K2: 7 })
    expect(totals(await read('day', { ownerId: 'owner-2' }))).toEqual({ [`${day}|ok`]: 7 })
    const rows = await read('day', { keyId: 'K2K2K2K2K2K2' })
    expect(rows).toEqual([{ keyId: 'K2K2K2K2K2K2', ownerId: 'owner-2', start: day, outcome: 'ok', count: 7 }])
    // [from, to): a bucket starting at `to` is out, one starting at `from` is in.
    const edge = await store.readUsage!({ prefix: PREFIX, granularity: 'minute', from: T0 + 60_000, to: T0 + 3_600_000 })
    expect(totals(edge)).toEqual({ [`${T0 + 60_000}|ok`]: 4 })
  })

  it('loses no usage added concurrently, through one store and another on the same data (addUsage)', async () => {
    const store = await fresh()
    if (typeof store.addUsage !== 'function') return
    const peer = openPeer ? await openPeer(store) : store
    try {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 ? peer : store).addUsage!([usage({ count: i + 1 }), usage({ outcome: 'revoked' })])),
      )
      const rows = await store.readUsage!({ prefix: PREFIX, granularity: 'day', from: T0 - DAY, to: T0 + DAY })
      expect(totals(rows)).toEqual({ [`${Date.UTC(2026, 2, 4)}|ok`]: 5050, [`${Date.UTC(2026, 2, 4)}|revoked`]: 100 })
    } finally {
      if (peer !== store) await peer.close?.()
    }
  })

  it('applies a usage batch once however often it is retried, across connections (addUsage with a batch id)', async () => {
    const store = await fresh()
    if (typeof store.addUsage !== 'function') return
    const peer = openPeer ? await openPeer(store) : store
    try {
      const batch = [usage({ count: 2 }), usage({ outcome: 'invalid', count: 1 }), usage({ keyId: 'K2K2K2K2K2K2', count: 5 })]
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : store).addUsage!(batch, 'batch-1')))
      await store.addUsage(batch, 'batch-1')
      await store.addUsage([usage({ count: 10 })], 'batch-2')
      await store.addUsage([usage({ count: 100 })])
      await store.addUsage([usage({ count: 100 })])
      const rows = await store.readUsage!({ prefix: PREFIX, granularity: 'day', from: T0 - DAY, to: T0 + DAY })
      const day = Date.UTC(2026, 2, 4)
      expect(totals(rows)).toEqual({ [`${day}|ok`]: 2 + 5 + 10 + 200, [`${day}|invalid`]: 1 })
    } finally {
      if (peer !== store) await peer.close?.()
    }
  })

  it('prunes each granularity at its own cutoff (pruneUsage)', async () => {
    const store = await fresh()
    if (typeof store.addUsage !== 'function' || typeof store.pruneUsage !== 'function') return
    await store.addUsage([usage({ minute: T0 - 2 * DAY }), usage({ minute: T0 })])
    await store.pruneUsage({ minute: T0 - DAY, hour: T0 - 3 * DAY, day: 0 })
    const read = (granularity: 'minute' | 'hour' | 'day') =>
      store.readUsage!({ prefix: PREFIX, granularity, from: 0, to: T0 + DAY }).then((rows) => rows.length)
    expect([await read('minute'), await read('hour'), await read('day')]).toEqual([1, 2, 2])
  })

  it('appends an audit entry with a change only when the change happens (WriteOptions.audit)', async () => {
    const store = await fresh()
    if (typeof store.listAudit !== 'function') return
    const record = sample()
    const entries = () => store.listAudit!({ prefix: PREFIX, keyId: record.id, limit: 100 }).then((page) => page.items)
    await store.insert(record, { audit: audit({ keyId: record.id, action: 'key.created', at: new Date(T0) }) })
    await expect(store.insert(record, { audit: audit({ keyId: record.id, at: new Date(T0 + 1) }) })).rejects.toThrow()
    expect(await store.update(record.id, { name: 'x' }, { expectedRevision: 5, audit: audit({ keyId: record.id }) })).toBeNull()
    expect(await store.update('ZZZZZZZZZZZZ', { name: 'x' }, { audit: audit({ keyId: 'ZZZZZZZZZZZZ' }) })).toBeNull()
    await store.update(record.id, { name: 'y' }, { expectedRevision: 0, audit: audit({ keyId: record.id, at: new Date(T0 + 2) }) })
    expect(await store.delete('ZZZZZZZZZZZZ', { audit: audit({ keyId: 'ZZZZZZZZZZZZ' }) })).toBe(false)
    await store.delete(record.id, {
      audit: audit({ keyId: record.id, action: 'key.deleted', at: new Date(T0 + 3), actor: null, fields: null }),
    })
    const found = await entries()
    expect(found.map((e) => e.action)).toEqual(['key.deleted', 'key.updated', 'key.created'])
    expect(found[1]).toEqual(audit({ id: found[1]!.id, keyId: record.id, at: new Date(T0 + 2) }))
    expect(found[0]).toMatchObject({ actor: null, fields: null, ownerId: 'owner-1' })
    expect(await store.listAudit({ prefix: PREFIX, keyId: 'ZZZZZZZZZZZZ', limit: 10 })).toEqual({ items: [] })
  })

  it('applies no change whose audit entry cannot be appended (a duplicate audit id), as one transaction', async () => {
    const store = await fresh()
    if (typeof store.listAudit !== 'function' || typeof store.appendAudit !== 'function') return
    const taken = audit({ action: 'key.leaked' })
    await store.appendAudit([taken])
    const record = sample()
    await expect(store.insert(record, { audit: { ...taken, action: 'key.created' } })).rejects.toThrow()
    expect(await store.findById(record.id)).toBeNull()
    await store.insert(record)
    await expect(store.update(record.id, { name: 'changed' }, { audit: taken })).rejects.toThrow()
    await expect(store.delete(record.id, { audit: taken })).rejects.toThrow()
    expect(await store.findById(record.id)).toEqual(record)
    const page = await store.listAudit({ prefix: PREFIX, limit: 10 })
    expect(page.items.map((e) => e.action)).toEqual(['key.leaked'])
  })

  it('pages the audit log newest first with filters and a cursor, and refuses a tampered cursor (listAudit)', async () => {
    const store = await fresh()
    if (typeof store.listAudit !== 'function' || typeof store.appendAudit !== 'function') return
    const all = Array.from({ length: 25 }, (_, i) =>
      audit({
        at: new Date(T0 + Math.floor(i / 3) * 1000), // ties on `at`, ordered by id
        keyId: i % 2 ? 'K1K1K1K1K1K1' : 'K2K2K2K2K2K2',
        ownerId: i % 5 ? 'owner-1' : 'owner-2',
        actor: i % 4 ? { id: 'user-7' } : { id: 'robot' },
      }),
    )
    await store.appendAudit(all)
    await store.appendAudit([audit({ prefix: 'other_prefix' })])
    const seen: AuditRecord[] = []
    let cursor: string | undefined
    do {
      const page = await store.listAudit({ prefix: PREFIX, limit: 7, ...(cursor && { cursor }) })
      expect(page.items.length).toBeLessThanOrEqual(7)
      seen.push(...page.items)
      cursor = page.nextCursor
    } while (cursor)
    const expected = [...all].sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1))
    expect(seen.map((e) => e.id)).toEqual(expected.map((e) => e.id))
    const count = (query: object) => store.listAudit!({ prefix: PREFIX, limit: 100, ...query }).then((p) => p.items.length)
    expect(await count({ keyId: 'K1K1K1K1K1K1' })).toBe(12)
    expect(await count({ ownerId: 'owner-2' })).toBe(5)
    expect(await count({ actorId: 'robot' })).toBe(7)
    expect(await count({ from: T0 + 2000, to: T0 + 4000 })).toBe(6)
    await expect(store.listAudit({ prefix: PREFIX, limit: 5, cursor: 'not a cursor' })).rejects.toBeInstanceOf(InvalidInputError)
  })

  it('prunes audit entries older than a time, and only those (pruneAudit)', async () => {
    const store = await fresh()
    if (typeof store.pruneAudit !== 'function' || typeof store.appendAudit !== 'function') return
    await store.appendAudit([audit({ at: new Date(T0 - DAY) }), audit({ at: new Date(T0) })])
    await store.pruneAudit(T0 - 1)
    expect((await store.listAudit!({ prefix: PREFIX, limit: 10 })).items.map((e) => e.at.getTime())).toEqual([T0])
  })

  it('records each notification id once, across stores and concurrent calls (recordNotifications)', async () => {
    const store = await fresh()
    if (typeof store.recordNotifications !== 'function') return
    const peer = openPeer ? await openPeer(store) : store
    try {
      const entry = (id: string) => ({ id, type: 'key.unused', keyId: 'K1K1K1K1K1K1', payload: '{"a":1}', createdAt: T0, pending: true })
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? peer : store).recordNotifications!([entry('n1')])))
      expect(results.flat()).toEqual(['n1'])
      expect(await store.recordNotifications([entry('n1'), entry('n2'), entry('n2')])).toEqual(['n2'])
    } finally {
      if (peer !== store) await peer.close?.()
    }
  })

  it('hands out due notifications once per claim and retries failed ones when due (claimNotifications)', async () => {
    const store = await fresh()
    if (typeof store.claimNotifications !== 'function' || typeof store.settleNotification !== 'function') return
    const entry = (id: string, createdAt: number, pending = true) => ({
      id,
      type: 'key.leaked',
      keyId: null,
      payload: `"${id}"`,
      createdAt,
      pending,
    })
    await store.recordNotifications!([entry('b', T0 + 1), entry('a', T0), entry('done', T0 - 1, false), entry('later', T0 + 60_000)])
    const first = await store.claimNotifications('one', T0 + 10, 30_000, 10)
    expect(first).toEqual([
      { id: 'a', type: 'key.leaked', keyId: null, payload: '"a"', createdAt: T0, attempts: 0 },
      { id: 'b', type: 'key.leaked', keyId: null, payload: '"b"', createdAt: T0 + 1, attempts: 0 },
    ])
    expect(await store.claimNotifications('two', T0 + 20, 30_000, 10)).toEqual([])
    await store.settleNotification('a', { delivered: true })
    await store.settleNotification('b', { delivered: false, nextAttemptAt: T0 + 5_000, error: 'HTTP 500' })
    expect(await store.claimNotifications('two', T0 + 4_999, 30_000, 10)).toEqual([])
    expect((await store.claimNotifications('two', T0 + 5_000, 30_000, 1)).map((n) => [n.id, n.attempts])).toEqual([['b', 1]])
    // An unsettled claim lapses: another instance takes it over.
    expect((await store.claimNotifications('three', T0 + 35_001, 30_000, 10)).map((n) => n.id)).toEqual(['b'])
    expect((await store.claimNotifications('four', T0 + 70_000, 30_000, 10)).map((n) => n.id)).toEqual(['b', 'later'])
    if (typeof store.pruneNotifications === 'function') {
      await store.pruneNotifications(T0 + 1)
      // Pruned entries may be recorded again; pending ones never are pruned.
      expect(await store.recordNotifications!([entry('a', T0), entry('done', T0), entry('b', T0)])).toEqual(['a', 'done'])
    }
  })

  it('gives a lease to one holder at a time until it lapses (acquireLease)', async () => {
    const store = await fresh()
    if (typeof store.acquireLease !== 'function') return
    const peer = openPeer ? await openPeer(store) : store
    try {
      const won = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : store).acquireLease!('maint', `h${i}`, 1000, T0)))
      expect(won.filter(Boolean)).toHaveLength(1)
      const holder = `h${won.indexOf(true)}`
      expect(await store.acquireLease('maint', holder, 1000, T0 + 500)).toBe(true)
      expect(await store.acquireLease('maint', 'other', 1000, T0 + 1499)).toBe(false)
      expect(await store.acquireLease('maint', 'other', 1000, T0 + 1500)).toBe(true)
      expect(await store.acquireLease('second', holder, 1000, T0 + 1500)).toBe(true)
    } finally {
      if (peer !== store) await peer.close?.()
    }
  })
}
