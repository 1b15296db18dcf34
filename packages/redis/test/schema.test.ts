import { readFileSync } from 'node:fs'
import { createKeyward, LimitExceededError } from '@keyward/core'
import { sampleRecord } from '@keyward/core/testing'
import { KeyStoreSchemaError, REDIS_SCHEMA_VERSION } from '@keyward/redis'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { freshPrefix, freshStore, layoutOf, REDIS_URL } from './helpers.js'

/** Keys written by @keyward/redis at schema 2 (one key space under the namespace): see the fixture's `written`. */
const FIXTURE = JSON.parse(readFileSync(new URL('./fixtures/schema-2.json', import.meta.url), 'utf8')) as {
  T0: number
  keys: Record<string, string>
  data: Record<string, { type: 'string' | 'hash' | 'zset' | 'set'; value: unknown }>
}
const PEPPER = 'fixture-pepper-0123456789abcdef0123456789'
const admin = new Redis(REDIS_URL)
afterAll(() => admin.disconnect())

/** Write the fixture's keys under namespace `ns`, as the previous release left them. */
async function writeOldLayout(ns: string): Promise<void> {
  for (const [name, { type, value }] of Object.entries(FIXTURE.data)) {
    const key = `${ns}${name}`
    if (type === 'string') await admin.set(key, value as string, ...((name.startsWith('ctr:') ? ['PX', 3_600_000] : []) as []))
    else if (type === 'hash') await admin.hset(key, value as Record<string, string>)
    else if (type === 'set') await admin.sadd(key, ...(value as string[]))
    else {
      const flat = value as string[]
      for (let i = 0; i < flat.length; i += 2) await admin.zadd(key, flat[i + 1]!, flat[i]!)
    }
  }
}

/** What the fixture's data must read as after the move (`round` 2: after a second move and a second round of verifies). */
async function expectMoved(ns: string, round: number): Promise<void> {
  const store = freshStore({ namespace: ns })
  const ids = Object.keys(FIXTURE.keys)
  const T0 = FIXTURE.T0
  const keyward = createKeyward({
    prefix: 'acme_live',
    store,
    pepper: PEPPER,
    now: () => T0,
    lastUsed: false,
    throttle: false,
    cache: false,
    usage: false,
  })
  try {
    const verdicts = await Promise.all(ids.map((id) => keyward.verify(FIXTURE.keys[id]!)))
    expect(verdicts.map((v) => (v.ok ? 'ok' : v.code))).toEqual(['ok', 'ok', 'revoked', 'ok', 'ok', 'ok'])
    // Only the marker of the old layout is left outside the hash-tagged keys.
    expect((await admin.keys(`${ns}*`)).filter((key) => !key.startsWith(`${ns}{`))).toEqual([`${ns}schema`])
    expect((await store.list({ ownerId: 'team-a', includeRevoked: false, limit: 10 })).items.map((r) => r.id).sort()).toEqual(
      [ids[0], ids[1], ids[3]].sort(),
    )
    expect((await store.list({ prefix: 'acme_live', includeRevoked: true, limit: 10 })).items).toHaveLength(6)
    // Counters kept their counts (the verifies above added one each), credits and the owner theirs.
    const peek = (name: string) => ({
      type: 'counter' as const,
      name,
      amount: 0,
      limit: 1e9,
      windowMs: 3_600_000,
      algorithm: 'fixed' as const,
    })
    const counts = await store.charge([peek(`rate:${ids[0]}`), peek('owner:default:team-a')], T0)
    expect(counts.states.map((s) => s?.type === 'counter' && s.count)).toEqual([3 + round, 4 + 3 * round])
    expect((await store.findById(ids[1]!))?.credits?.remaining).toBe(8 - round)
    expect(await store.getOwner('team-a')).toMatchObject({ maxKeys: 10, revision: 1 })
    // The owner's live keys were counted into its cap: three live, so a cap of 3 refuses a fourth.
    const capped = store.insert(sampleRecord({ ownerId: 'team-a' }), { cap: { maxKeys: 3, now: T0 } })
    await expect(capped).rejects.toBeInstanceOf(LimitExceededError)
    expect((await store.listAudit({ prefix: 'acme_live', limit: 100 })).items).toHaveLength(8)
    const usage = await store.readUsage({ prefix: 'acme_live', granularity: 'day', from: T0 - 86_400_000, to: T0 + 86_400_000 })
    expect(usage.map(({ keyId, outcome, count }) => `${keyId} ${outcome} ${count}`).sort()).toEqual(
      [`${ids[0]} ok 6`, `${ids[1]} ok 1`, `${ids[4]} invalid 2`].sort(),
    )
    expect((await store.claimNotifications('me', T0 + round * 2_000, 1_000, 10)).map((n) => n.id)).toEqual(['n1'])
    expect(await store.acquireLease('notifier', 'holder-2', 1_000, T0)).toBe(false)
  } finally {
    await keyward.close()
    await store.close()
  }
}

describe('RedisKeyStore schema marker', () => {
  it('writes its version on first use and refuses data written by a newer version', async () => {
    const prefix = freshPrefix()
    const store = freshStore({ namespace: prefix })
    expect(await store.findById('AAAAAAAAAAAA')).toBeNull()
    const marker = layoutOf(prefix).control('schema')
    expect(await admin.get(marker)).toBe(String(REDIS_SCHEMA_VERSION))
    await admin.set(marker, String(REDIS_SCHEMA_VERSION + 1))
    const newer = freshStore({ namespace: prefix })
    await expect(newer.findById('AAAAAAAAAAAA')).rejects.toMatchObject({ code: 'schema_too_new' })
    await Promise.all([store.close(), newer.close()])
  })

  it('moves data of the schema 2 layout to the sharded one on first use, and a second run after old keys reappear changes nothing', async () => {
    const ns = freshPrefix()
    freshStore({ namespace: ns }).close() // registers the namespace for cleanup
    await writeOldLayout(ns)
    await expectMoved(ns, 1)
    expect(await admin.get(layoutOf(ns).control('schema'))).toBe('3')
    // The previous release now refuses the namespace as too new.
    expect(await admin.get(`${ns}schema`)).toBe('3')
    // A run cut off before deleting what it copied (or an older instance still writing) leaves old keys
    // behind: moving them again neither counts usage twice nor overwrites a counter or a record.
    for (const key of await admin.keys(`${ns}{*`)) if (key.endsWith('u:batches')) await admin.del(key)
    await writeOldLayout(ns)
    const again = freshStore({ namespace: ns })
    await again.migrate()
    await again.close()
    await expectMoved(ns, 2)
  }, 30_000)

  it('rejects commands after close instead of queueing them', async () => {
    const store = freshStore()
    await store.close()
    await expect(store.findById('AAAAAAAAAAAA')).rejects.toThrow()
  })

  it('with migrate: false, refuses data of no or an older version until migrate() brings it up', async () => {
    const prefix = freshPrefix()
    const store = freshStore({ namespace: prefix, migrate: false })
    expect(await store.schemaVersion()).toBe(0)
    await expect(store.findById('AAAAAAAAAAAA')).rejects.toBeInstanceOf(KeyStoreSchemaError)
    await expect(store.insert(sampleRecord())).rejects.toMatchObject({ code: 'schema_missing', databaseVersion: 0 })
    await admin.set(`${prefix}schema`, '1')
    await expect(store.findById('AAAAAAAAAAAA')).rejects.toMatchObject({ code: 'schema_outdated', databaseVersion: 1 })
    await store.migrate()
    expect(await store.schemaVersion()).toBe(REDIS_SCHEMA_VERSION)
    expect(await admin.get(layoutOf(prefix).control('schema'))).toBe(String(REDIS_SCHEMA_VERSION))
    expect(await store.findById('AAAAAAAAAAAA')).toBeNull()
    await store.close()
  })
})
