import { sampleRecord } from '@keyward/core/testing'
import { RedisKeyStore } from '@keyward/redis'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { sleep } from '../../../test/eventually.js'
import { startPrivate, type PrivateServer } from '../../../scripts/services.mjs'

/** Run `during` while the server answers no client (CLIENT PAUSE), on a private server. */
async function whilePaused(url: string, ms: number, during: () => Promise<void>): Promise<void> {
  const admin = new Redis(url)
  try {
    await admin.call('CLIENT', 'PAUSE', String(ms), 'ALL')
    await during()
  } finally {
    await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined)
    admin.disconnect()
  }
}

/** How long `operation` took to reject with store_unavailable. */
async function rejectsAfterMs(operation: Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  await expect(operation).rejects.toMatchObject({ code: 'store_unavailable' })
  return performance.now() - t0
}

// A private server: pausing it must not stall the other tests' shared one.
describe('RedisKeyStore options', () => {
  let server: PrivateServer
  beforeAll(async () => {
    server = await startPrivate('redis')
    // Each old name warns once per process: start this file from none warned.
    ;(globalThis as Record<symbol, Set<string> | undefined>)[Symbol.for('keyward.renamed-options')]?.clear()
  }, 60_000)
  afterAll(() => server?.remove(), 60_000)
  afterEach(() => vi.restoreAllMocks())

  it('the previous names (redis, prefix, timeoutMs) still work, each warning once per process, naming the new options', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const store = new RedisKeyStore({ redis: server.url, prefix: 'old:', timeoutMs: 300 })
    expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([
      '@keyward/redis: the option "redis" is deprecated and will be removed in the next release; use "connection".',
      '@keyward/redis: the option "prefix" is deprecated and will be removed in the next release; use "namespace".',
      '@keyward/redis: the option "timeoutMs" is deprecated and will be removed in the next release; use "requestTimeoutMs", "managementTimeoutMs", "connectTimeoutMs".',
    ])
    expect([store.namespace, store.prefix]).toEqual(['old:', 'old:'])
    expect((store.redis as Redis).options.connectTimeout).toBe(300)
    const record = sampleRecord()
    await store.insert(record)
    const admin = new Redis(server.url)
    expect(await admin.hget(`old:{${record.id}}key`, 'name')).toBe(record.name)
    admin.disconnect()
    await whilePaused(server.url, 1_500, async () => {
      expect(await rejectsAfterMs(store.findById(record.id))).toBeLessThan(1_000)
      expect(await rejectsAfterMs(store.update(record.id, { name: 'x' }))).toBeLessThan(1_000)
    })
    await store.close()
    await new RedisKeyStore({ redis: server.url, prefix: 'old:', timeoutMs: 300 }).close()
    expect(warn).toHaveBeenCalledTimes(3)
  })

  it('the new names work and do not warn: a request command gives up after requestTimeoutMs, a management one waits managementTimeoutMs', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const store = new RedisKeyStore({
      connection: server.url,
      namespace: 'new:',
      requestTimeoutMs: 300,
      managementTimeoutMs: 10_000,
      connectTimeoutMs: 700,
    })
    expect(store.namespace).toBe('new:')
    expect((store.redis as Redis).options.connectTimeout).toBe(700)
    const record = sampleRecord()
    await store.insert(record)
    let updated = false
    let update: Promise<unknown> | undefined
    await whilePaused(server.url, 2_000, async () => {
      expect(await rejectsAfterMs(store.findById(record.id))).toBeLessThan(1_000)
      update = store.update(record.id, { name: 'renamed' }).then(() => {
        updated = true
      })
      await sleep(1_000)
      expect(updated).toBe(false) // still waiting for Redis, well past requestTimeoutMs
    })
    await update
    expect(await store.findById(record.id)).toMatchObject({ name: 'renamed' })
    await store.close()
    expect(warn).not.toHaveBeenCalled()
  })

  it('an old name given beside its new one is a TypeError (one of them would be ignored)', () => {
    expect(() => new RedisKeyStore({ connection: server.url, namespace: 'a:', prefix: 'b:' })).toThrow(
      new TypeError('@keyward/redis: pass "namespace" only ("prefix" is the old name)'),
    )
  })
})
