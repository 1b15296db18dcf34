import { createKeyward } from '@keyward/core'
import { sampleRecord } from '@keyward/core/testing'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { eventually, sleep } from '../../../test/eventually.js'
import { freshSchema, freshStore, PG_URL } from './helpers.js'

const PEPPER = 'external-change-test-pepper-0123456789abcdef'
// A separate client, as psql would be: nothing of Keyward's runs on it.
const psql = new pg.Client({ connectionString: PG_URL })
const connected = psql.connect()
afterAll(() => psql.end())

/** A Keyward instance with its cache on (and listening), holding a verified key in its cache. */
async function setup() {
  await connected
  const schema = freshSchema()
  const store = freshStore({ namespace: schema })
  const keyward = createKeyward({ prefix: 'ext_test', store, pepper: PEPPER, throttle: false, lastUsed: false })
  const { key, info } = await keyward.create({ name: 'hand-edited', scopes: ['messages:send'] })
  await eventually('LISTEN connection', async () => store.listening, Boolean, 5_000)
  await sleep(200) // the create's own notification has come and gone: it cannot refresh the cache later
  expect(await keyward.verify(key)).toMatchObject({ ok: true }) // now cached
  await sleep(100)
  const close = async () => {
    await keyward.close()
    await store.close()
  }
  return { keyward, key, id: info.id, table: `"${schema}".keyward_keys`, close, store }
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

describe('a change made outside Keyward (raw SQL from another client) reaches a cached instance', () => {
  it('refuses within 1 s a key revoked with a hand-written UPDATE … SET revoked_at = now()', async () => {
    const t = await setup()
    try {
      await psql.query(`UPDATE ${t.table} SET revoked_at = now() WHERE id = $1`, [t.id])
      await refusedWithin(t.keyward, t.key, 'revoked')
    } finally {
      await t.close()
    }
  })

  it('refuses within 1 s after a hand-written disable, scope change, expiry or DELETE', async () => {
    for (const [sql, code] of [
      ['UPDATE %t SET disabled_at = now() WHERE id = $1', 'disabled'],
      [`UPDATE %t SET scopes = '{contacts:read}' WHERE id = $1`, 'insufficient_scope'],
      [`UPDATE %t SET expires_at = now() - interval '1 second' WHERE id = $1`, 'expired'],
      ['DELETE FROM %t WHERE id = $1', 'invalid'],
    ] as const) {
      const t = await setup()
      try {
        await psql.query(sql.replace('%t', t.table), [t.id])
        await refusedWithin(t.keyward, t.key, code)
      } finally {
        await t.close()
      }
    }
  })

  it('does not notify for the writes Keyward makes on the hot path (last use and its client address, credit balance)', async () => {
    await connected
    const schema = freshSchema()
    const store = freshStore({ namespace: schema })
    const record = sampleRecord({ credits: { remaining: 10, refill: { amount: 10, intervalMs: 60_000 } } })
    await store.insert(record)
    const seen: string[] = []
    const unsubscribe = await store.subscribe((change) => seen.push(change.id))
    try {
      await sleep(100)
      seen.length = 0
      await store.touch([{ id: record.id, lastUsedAt: new Date(), from: '203.0.113.9' }])
      await store.touch([{ id: record.id, lastUsedAt: new Date(Date.now() + 1) }])
      await store.spendCredits(record.id, 1, Date.now())
      // Nor does a hand edit of the last use alone (its time and client address).
      await psql.query(`UPDATE "${schema}".keyward_keys SET last_used_at = now(), last_used_from = '198.51.100.1' WHERE id = $1`, [
        record.id,
      ])
      await sleep(300)
      expect(seen).toEqual([])
      // A hand edit of the credit settings does notify: it changes what a cached record says.
      await psql.query(`UPDATE "${schema}".keyward_keys SET credits = jsonb_set(credits, '{refill,amount}', '99') WHERE id = $1`, [
        record.id,
      ])
      await eventually(
        'notification',
        async () => seen,
        (s) => s.includes(record.id),
        1_000,
      )
    } finally {
      await unsubscribe()
      await store.close()
    }
  })
})
