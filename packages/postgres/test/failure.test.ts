import { createKeyward, type Keyward } from '@keyward/core'
import { PostgresKeyStore } from '@keyward/postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, sleep } from '../../../test/eventually.js'
import { startPrivate, type PrivateServer } from '../../../scripts/services.mjs'
import { admin, freshSchema, freshStore } from './helpers.js'

const PEPPER = 'failure-test-pepper-0123456789-0123456789'
// A private server this test may stop (a free port and a fresh directory per run): never the shared
// one other tests use, nor another checkout's.
describe('PostgreSQL going away and coming back', () => {
  let server: PrivateServer
  let store: PostgresKeyStore
  let peer: PostgresKeyStore
  let direct: Keyward
  let cached: Keyward

  beforeAll(async () => {
    server = await startPrivate('postgres')
    const options = {
      connection: server.url,
      namespace: `failure_${process.pid}`,
      requestTimeoutMs: 1_000,
      managementTimeoutMs: 1_000,
      connectTimeoutMs: 1_000,
    }
    store = new PostgresKeyStore(options)
    peer = new PostgresKeyStore(options)
    direct = createKeyward({ prefix: 'fail_test', store, pepper: PEPPER, cache: false, throttle: false, lastUsed: false })
    cached = createKeyward({ prefix: 'fail_test', store, pepper: PEPPER, throttle: false, lastUsed: false })
  }, 60_000)

  afterAll(async () => {
    await Promise.all([direct?.close(), cached?.close()])
    await Promise.all([store?.close(), peer?.close()])
    await server?.remove()
  }, 60_000)

  it('answers store_unavailable quickly while down, writes nothing half-way, and recovers by itself', async () => {
    const { key, info } = await direct.create({ name: 'survivor' })
    expect(await direct.verify(key)).toMatchObject({ ok: true })
    expect(await cached.verify(key)).toMatchObject({ ok: true }) // now cached
    await eventually('LISTEN connection', async () => store.listening, Boolean, 5_000)

    expect(await server.stop()).toBe(true)

    const t0 = performance.now()
    const during = await direct.verify(key)
    const elapsed = performance.now() - t0
    expect(during).toMatchObject({ ok: false, code: 'store_unavailable' })
    expect(elapsed).toBeLessThan(2_000)
    await expect(direct.create({ name: 'during outage' })).rejects.toMatchObject({ code: 'store_unavailable' })
    await expect(direct.revoke(info.id)).rejects.toMatchObject({ code: 'store_unavailable' })
    await expect(direct.rotate(info.id)).rejects.toMatchObject({ code: 'store_unavailable' })
    // Usage, audit, ledger and lease calls fail the same way, naming the operation.
    const T = Date.UTC(2026, 0, 1)
    const outage = { code: 'store_unavailable' }
    await expect(
      store.addUsage([{ keyId: info.id, ownerId: null, prefix: 'fail_test', minute: T, outcome: 'ok', count: 1 }]),
    ).rejects.toMatchObject(outage)
    await expect(store.readUsage({ prefix: 'fail_test', granularity: 'day', from: 0, to: T })).rejects.toMatchObject(outage)
    await expect(store.listAudit({ prefix: 'fail_test', limit: 5 })).rejects.toThrow(/failed during listAudit/)
    await expect(store.claimNotifications('h', T, 1_000, 5)).rejects.toMatchObject(outage)
    await expect(store.acquireLease('maintenance', 'h', 1_000, T)).rejects.toMatchObject(outage)
    await sleep(300)
    expect(store.listening).toBe(false)
    // The cached instance refuses too: with notifications down its cache cannot be trusted (fail closed).
    expect(await cached.verify(key)).toMatchObject({ ok: false, code: 'store_unavailable' })

    await server.start()

    // The same store objects recover: no restart of the app.
    await eventually(
      'verify after restart',
      () => direct.verify(key),
      (r) => r.ok,
      10_000,
    )
    const all = await direct.list({ includeRevoked: true })
    expect(all.items.map((k) => [k.id, k.status, k.rotatedToId])).toEqual([[info.id, 'active', null]])

    // The LISTEN connection came back too: a change from elsewhere reaches the cache within 1 s.
    await eventually('LISTEN reconnect', async () => store.listening, Boolean, 10_000)
    expect(await cached.verify(key)).toMatchObject({ ok: true })
    const other = createKeyward({ prefix: 'fail_test', store: peer, pepper: PEPPER, cache: false, throttle: false, lastUsed: false })
    await other.revoke(info.id)
    const revokedAt = performance.now()
    await eventually(
      'revocation after reconnect',
      () => cached.verify(key),
      (r) => !r.ok,
      1_000,
    )
    expect(performance.now() - revokedAt).toBeLessThan(1_000)
    await other.close()
  }, 60_000)
})

describe('a PostgreSQL that hangs', () => {
  it('gives store_unavailable within requestTimeoutMs while a lock blocks the table, then works again', async () => {
    const schema = freshSchema()
    const store = freshStore({ namespace: schema, requestTimeoutMs: 400 })
    const keyward = createKeyward({ prefix: 'fail_test', store, pepper: PEPPER, cache: false, throttle: false, lastUsed: false })
    const { key } = await keyward.create({ name: 'blocked' })
    const locker = await admin.connect()
    try {
      await locker.query('BEGIN')
      await locker.query(`LOCK TABLE "${schema}".keyward_keys IN ACCESS EXCLUSIVE MODE`)
      const t0 = performance.now()
      expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'store_unavailable' })
      expect(performance.now() - t0).toBeLessThan(1_500)
    } finally {
      await locker.query('ROLLBACK')
      locker.release()
    }
    expect(await keyward.verify(key)).toMatchObject({ ok: true })
    await keyward.close()
    await store.close()
  })
})
