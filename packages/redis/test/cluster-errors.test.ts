import { StoreUnavailableError } from '@keyward/core/store'
import { sampleRecord } from '@keyward/core/testing'
import { RedisKeyStore } from '@keyward/redis'
import { describe, expect, it } from 'vitest'
import { freePort } from '../../../scripts/services.mjs'

// On a line naming a password, so the suite-wide secret check also fails if it is ever printed.
const PASSWORD = 'redis-cluster-password-Hx4Lm9Qp2Vt7Rc'

describe('RedisKeyStore on an unreachable Redis Cluster', () => {
  it('rejects every operation with StoreUnavailableError within the connect timeout, naming no password', async () => {
    const [a, b] = [await freePort(), await freePort()]
    const store = new RedisKeyStore({
      connection: {
        cluster: [`redis://:${PASSWORD}@127.0.0.1:${a}`, { host: '127.0.0.1', port: b }],
        options: { redisOptions: { password: PASSWORD } },
      },
      connectTimeoutMs: 500,
    })
    const record = sampleRecord()
    const operations: Array<[string, () => Promise<unknown>]> = [
      ['insert', () => store.insert(record)],
      ['findById', () => store.findById(record.id)],
      [
        'charge',
        () =>
          store.charge(
            [{ type: 'counter', name: `rate:${record.id}`, amount: 1, limit: 5, windowMs: 1_000, algorithm: 'fixed' }],
            Date.now(),
          ),
      ],
      ['list', () => store.list({ limit: 10, includeRevoked: true })],
      ['migrate', () => store.migrate()],
    ]
    for (const [name, operation] of operations) {
      const started = performance.now()
      const error = await operation().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error, name).toBeInstanceOf(StoreUnavailableError)
      expect(error, name).toMatchObject({ operation: name })
      expect(performance.now() - started, name).toBeLessThan(2_500)
      const cause = (error as Error).cause as Error | undefined
      for (const text of [String(error), (error as Error).stack, cause?.message, cause?.stack]) expect(text ?? '').not.toContain(PASSWORD)
    }
    await store.close()
  })

  it.each(['auto', 'sharded', 'broadcast'] as const)(
    "with changeChannel '%s', subscribe resolves within the connect timeout, not listening (the subscriber keeps trying, as on a single server)",
    async (changeChannel) => {
      const store = new RedisKeyStore({
        connection: { cluster: [{ host: '127.0.0.1', port: await freePort() }] },
        connectTimeoutMs: 300,
        changeChannel,
      })
      const started = performance.now()
      const stop = await store.subscribe(() => undefined)
      expect(performance.now() - started).toBeLessThan(1_500)
      expect(store.listening).toBe(false)
      await stop()
      await store.close()
    },
  )
})
