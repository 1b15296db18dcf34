import { createKeyward } from '@keyward/core'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { eventually, sleep } from '../../../test/eventually.js'
import { freshPrefix, freshStore, layoutOf, REDIS_URL } from './helpers.js'

const PEPPER = 'external-change-test-pepper-0123456789abcdef'

describe('a change made outside Keyward (redis-cli) and a cached instance', () => {
  it('a hand edit (HSET) reaches the cache once its id is published on the change channel, as the README says', async () => {
    const prefix = freshPrefix()
    const store = freshStore({ namespace: prefix })
    const keyward = createKeyward({ prefix: 'ext_test', store, pepper: PEPPER, throttle: false, lastUsed: false })
    const admin = new Redis(REDIS_URL)
    try {
      const { key, info } = await keyward.create({ name: 'hand-edited' })
      await eventually('subscriber', async () => store.listening, Boolean, 5_000)
      await sleep(100)
      expect(await keyward.verify(key)).toMatchObject({ ok: true }) // now cached
      await admin.hset(layoutOf(prefix).record(info.id), 'revokedAt', String(Date.now()))
      await sleep(300)
      // Redis has no triggers: the bare HSET is not seen by the cache (the cache TTL bounds it) ...
      expect(await keyward.verify(key)).toMatchObject({ ok: true })
      // ... until the id is published where the store listens.
      await admin.publish(layoutOf(prefix).channel, info.id)
      const publishedAt = performance.now()
      await eventually(
        'refusal',
        () => keyward.verify(key),
        (r) => !r.ok && r.code === 'revoked',
        2_000,
      )
      expect(performance.now() - publishedAt).toBeLessThan(1_000)
    } finally {
      admin.disconnect()
      await keyward.close()
      await store.close()
    }
  })
})
