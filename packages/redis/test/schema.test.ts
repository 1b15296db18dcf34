import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { freshPrefix, freshStore, REDIS_URL } from './helpers.js'

describe('RedisKeyStore schema marker', () => {
  it('writes its version on first use and refuses data written by a newer version', async () => {
    const prefix = freshPrefix()
    const store = freshStore({ prefix })
    expect(await store.findById('AAAAAAAAAAAA')).toBeNull()
    const admin = new Redis(REDIS_URL)
    expect(await admin.get(`${prefix}schema`)).toBe('1')
    await admin.set(`${prefix}schema`, '2')
    admin.disconnect()
    const newer = freshStore({ prefix })
    await expect(newer.findById('AAAAAAAAAAAA')).rejects.toMatchObject({ code: 'schema_too_new' })
    await Promise.all([store.close(), newer.close()])
  })

  it('rejects commands after close instead of queueing them', async () => {
    const store = freshStore()
    await store.close()
    await expect(store.findById('AAAAAAAAAAAA')).rejects.toThrow()
  })
})
