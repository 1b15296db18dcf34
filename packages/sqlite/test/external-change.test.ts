import Database from 'better-sqlite3'
import { createKeyward } from '@keyward/core'
import { sampleRecord } from '@keyward/core/testing'
import { SqliteKeyStore } from '@keyward/sqlite'
import { describe, expect, it } from 'vitest'
import { eventually, sleep } from '../../../test/eventually.js'
import { dbPath, tempDir } from './helpers.js'

const dir = tempDir()
const PEPPER = 'external-change-test-pepper-0123456789abcdef'

/** A Keyward instance with its cache on, over the file, plus a raw connection as `sqlite3` would open it. */
async function setup() {
  const file = dbPath(dir)
  const store = new SqliteKeyStore({ connection: file, pollIntervalMs: 50 })
  const keyward = createKeyward({ prefix: 'ext_test', store, pepper: PEPPER, throttle: false, lastUsed: false })
  // The key is made elsewhere (as by the CLI) and its insert has been seen, so nothing is pending
  // in the change log when the hand edit comes: only the edit itself can invalidate the cache.
  const creatorStore = new SqliteKeyStore(file)
  const creator = createKeyward({ prefix: 'ext_test', store: creatorStore, pepper: PEPPER, throttle: false, lastUsed: false })
  const { key, info } = await creator.create({ name: 'hand-edited', scopes: ['messages:send'] })
  await creator.close()
  await creatorStore.close()
  await sleep(200)
  expect(await keyward.verify(key)).toMatchObject({ ok: true }) // now cached
  await sleep(200)
  const raw = new Database(file)
  raw.pragma('busy_timeout = 2000')
  const close = async () => {
    raw.close()
    await keyward.close()
    await store.close()
  }
  return { store, keyward, key, id: info.id, raw, close }
}

async function refusedWithin(keyward: ReturnType<typeof createKeyward>, key: string, code: string) {
  const changedAt = performance.now()
  await eventually(
    'refusal',
    () => keyward.verify(key, { scopes: ['messages:send'] }),
    (r) => !r.ok && r.code === code,
    2_000,
  )
  expect(performance.now() - changedAt).toBeLessThan(1_000)
}

describe('a change made outside Keyward (raw SQL on the file) reaches a cached instance', () => {
  it('refuses within 1 s a key revoked with a hand-written UPDATE … SET revoked_at', async () => {
    const t = await setup()
    try {
      t.raw.prepare('UPDATE keyward_keys SET revoked_at = ? WHERE id = ?').run(Date.now(), t.id)
      await refusedWithin(t.keyward, t.key, 'revoked')
    } finally {
      await t.close()
    }
  })

  it('refuses within 1 s after a hand-written disable, scope change, expiry or DELETE', async () => {
    for (const [sql, code] of [
      ['UPDATE keyward_keys SET disabled_at = 1 WHERE id = ?', 'disabled'],
      [`UPDATE keyward_keys SET scopes = '["contacts:read"]' WHERE id = ?`, 'insufficient_scope'],
      ['UPDATE keyward_keys SET expires_at = 1 WHERE id = ?', 'expired'],
      ['DELETE FROM keyward_keys WHERE id = ?', 'invalid'],
    ] as const) {
      const t = await setup()
      try {
        t.raw.prepare(sql).run(t.id)
        await refusedWithin(t.keyward, t.key, code)
      } finally {
        await t.close()
      }
    }
  })

  it('does not notify for the writes Keyward makes on the hot path (last-used time and address, credit balance)', async () => {
    const file = dbPath(dir)
    const store = new SqliteKeyStore({ connection: file, pollIntervalMs: 20 })
    const peer = new SqliteKeyStore(file)
    const record = sampleRecord({ credits: { remaining: 10, refill: { amount: 10, intervalMs: 60_000 } } })
    await store.insert(record)
    const seen: string[] = []
    const unsubscribe = await store.subscribe((change) => seen.push(change.id))
    try {
      await peer.touch([{ id: record.id, lastUsedAt: new Date(), from: '203.0.113.9' }])
      await peer.spendCredits(record.id, 1, Date.now())
      await sleep(300)
      expect(seen).toEqual([])
      expect((await store.findById(record.id))?.lastUsedFrom).toBe('203.0.113.9') // written, yet no notification
      // A hand edit of the credit settings does notify: it changes what a cached record says.
      const raw = new Database(file)
      raw.prepare(`UPDATE keyward_keys SET credits = json_set(credits, '$.refill.amount', 99) WHERE id = ?`).run(record.id)
      raw.close()
      await eventually(
        'notification',
        async () => seen,
        (s) => s.includes(record.id),
        1_000,
      )
    } finally {
      await unsubscribe()
      await Promise.all([store.close(), peer.close()])
    }
  })
})
