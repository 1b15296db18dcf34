import { createKeyward, type Keyward } from '@keyward/core'
import { RedisKeyStore } from '@keyward/redis'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../../test/eventually.js'
import { startPrivate, type PrivateServer } from '../../../scripts/services.mjs'

const PEPPER = 'failure-test-pepper-0123456789-0123456789'
// A private server this test may stop and pause (a free port and a fresh directory per run): never
// the shared one other tests use, nor another checkout's.
describe('Redis going away, hanging and coming back', () => {
  let server: PrivateServer
  let url: string
  let store: RedisKeyStore
  let peer: RedisKeyStore
  let direct: Keyward
  let cached: Keyward

  beforeAll(async () => {
    server = await startPrivate('redis')
    url = server.url
    const options = {
      connection: url,
      namespace: `failure:${process.pid}:`,
      requestTimeoutMs: 500,
      managementTimeoutMs: 500,
      connectTimeoutMs: 500,
    }
    store = new RedisKeyStore(options)
    peer = new RedisKeyStore(options)
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
    await eventually('subscriber', async () => store.listening, Boolean, 5_000)

    expect(await server.stop({ save: true })).toBe(true)
    // The cached instance refuses too once the subscriber is gone: its cache cannot be trusted (fail closed).
    await eventually(
      'cached instance fails closed',
      () => cached.verify(key),
      (r) => !r.ok && r.code === 'store_unavailable',
      1_000,
    )

    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      expect(await direct.verify(key)).toMatchObject({ ok: false, code: 'store_unavailable' })
      expect(performance.now() - t0).toBeLessThan(1_000)
    }
    await expect(direct.create({ name: 'during outage' })).rejects.toMatchObject({ code: 'store_unavailable' })
    await expect(direct.revoke(info.id)).rejects.toMatchObject({ code: 'store_unavailable' })
    await expect(direct.rotate(info.id)).rejects.toMatchObject({ code: 'store_unavailable' })
    const usage = { keyId: info.id, ownerId: null, prefix: 'fail_test', minute: 0, outcome: 'ok' as const, count: 1 }
    const down = { code: 'store_unavailable' }
    await expect(store.addUsage([usage])).rejects.toMatchObject(down)
    await expect(store.listAudit({ prefix: 'fail_test', limit: 10 })).rejects.toMatchObject(down)
    await expect(store.claimNotifications('me', Date.now(), 1_000, 10)).rejects.toMatchObject(down)
    await expect(store.acquireLease('maintenance', 'me', 1_000, Date.now())).rejects.toMatchObject(down)

    await server.start({ persist: true })

    await eventually(
      'verify after restart',
      () => direct.verify(key),
      (r) => r.ok,
      10_000,
    )
    const all = await direct.list({ includeRevoked: true })
    expect(all.items.map((k) => [k.id, k.status, k.rotatedToId])).toEqual([[info.id, 'active', null]])

    // The subscriber came back too: a change from elsewhere reaches the cache within 1 s.
    await eventually('subscriber reconnect', async () => store.listening, Boolean, 10_000)
    expect(await cached.verify(key)).toMatchObject({ ok: true })
    const other = createKeyward({ prefix: 'fail_test', store: peer, pepper: PEPPER, cache: false, throttle: false, lastUsed: false })
    await eventually('peer reconnect', () => other.get(info.id).then(Boolean, () => false), Boolean, 10_000)
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

  it('times a command out instead of waiting while Redis does not answer', async () => {
    const { key } = await direct.create({ name: 'paused' })
    const admin = new Redis(url)
    try {
      await admin.call('CLIENT', 'PAUSE', '1500', 'ALL')
      const t0 = performance.now()
      expect(await direct.verify(key)).toMatchObject({ ok: false, code: 'store_unavailable' })
      expect(performance.now() - t0).toBeLessThan(1_000)
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined)
      admin.disconnect()
    }
    await eventually(
      'verify after pause',
      () => direct.verify(key),
      (r) => r.ok,
      5_000,
    )
  })
})
