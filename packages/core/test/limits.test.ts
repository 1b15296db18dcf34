import { describe, expect, it } from 'vitest'
import { createKeyward, InvalidInputError, MemoryKeyStore } from '../src/index.js'
import { CountingStore, instanceFactory, manualClock } from './helpers.js'

const make = instanceFactory()

/** A checksum-valid key of this prefix whose id does not exist. */
async function unknownKey(): Promise<string> {
  const other = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore() })
  const { key } = await other.create({ name: 'elsewhere' })
  await other.close()
  return key
}

describe('rate limits', () => {
  it('allows `limit` per fixed window, then rate_limited with the wait until the window ends', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1, 0, 0, 0, 250))
    const keyward = make({ now: clock.now })
    const { key } = await keyward.create({ name: 'CRM', rateLimit: { limit: 3, windowMs: 1000 } })
    const remaining = []
    for (let i = 0; i < 3; i++) {
      const result = await keyward.verify(key)
      if (!result.ok) throw new Error(result.code)
      remaining.push(result.rateLimit?.remaining)
    }
    expect(remaining).toEqual([2, 1, 0])
    expect(await keyward.verify(key)).toMatchObject({
      ok: false,
      code: 'rate_limited',
      retryAfterMs: 750,
      rateLimit: { limit: 3, windowMs: 1000, remaining: 0, resetAt: Date.UTC(2026, 0, 1, 0, 0, 1), resetInMs: 750 },
    })
    clock.advance(749)
    expect((await keyward.verify(key)).ok).toBe(false)
    clock.advance(1) // the window boundary
    expect((await keyward.verify(key)).ok).toBe(true)
  })

  it('applies the deployment default to keys without their own, across instances sharing a store', async () => {
    const store = new MemoryKeyStore()
    const a = make({ store, rateLimit: { limit: 5, windowMs: 60_000 } })
    const b = make({ store, rateLimit: { limit: 5, windowMs: 60_000 } })
    const { key } = await a.create({ name: 'CRM' })
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).verify(key)))
    expect(results.filter((r) => r.ok)).toHaveLength(5)
    const { key: own } = await a.create({ name: 'own', rateLimit: { limit: 8, windowMs: 60_000 } })
    const own8 = await Promise.all(Array.from({ length: 20 }, () => b.verify(own)))
    expect(own8.filter((r) => r.ok)).toHaveLength(8)
  })

  it('lets an update change the limit', async () => {
    const keyward = make({})
    const { key, info } = await keyward.create({ name: 'CRM', rateLimit: { limit: 1, windowMs: 60_000 } })
    expect((await keyward.verify(key)).ok).toBe(true)
    expect((await keyward.verify(key)).ok).toBe(false)
    await keyward.update(info.id, { rateLimit: { limit: 10, windowMs: 60_000 } })
    expect((await keyward.verify(key)).ok).toBe(true)
  })

  it('fails closed when the counter cannot be reached', async () => {
    const store = new CountingStore()
    const keyward = make({ store })
    const { key } = await keyward.create({ name: 'CRM', rateLimit: { limit: 100, windowMs: 1000 } })
    await keyward.verify(key)
    store.charge = store.incrementCounter = async () => {
      throw new Error('ECONNRESET')
    }
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'store_unavailable' })
  })
})

describe('usage credits', () => {
  it('spends cost per verify and refuses with usage_exceeded until the refill', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1))
    const keyward = make({ now: clock.now })
    const { key, info } = await keyward.create({ name: 'CRM', credits: { remaining: 10, refill: { amount: 10, intervalMs: 86_400_000 } } })
    expect(await keyward.verify(key, { cost: 4 })).toMatchObject({ ok: true, creditsRemaining: 6 })
    expect(await keyward.verify(key, { cost: 6 })).toMatchObject({ ok: true, creditsRemaining: 0 })
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'usage_exceeded', retryAfterMs: 86_400_000 })
    clock.advance(86_400_000 - 1)
    expect((await keyward.verify(key)).ok).toBe(false)
    clock.advance(1)
    expect(await keyward.verify(key)).toMatchObject({ ok: true, creditsRemaining: 9 })
    expect(await keyward.verify(key, { cost: 0 })).toMatchObject({ ok: true, creditsRemaining: 9 })
    expect((await keyward.get(info.id))?.credits?.remaining).toBe(9)
    await expect(keyward.verify(key, { cost: -1 })).rejects.toBeInstanceOf(TypeError)
  })

  it('never refills credits without a refill', async () => {
    const clock = manualClock()
    const keyward = make({ now: clock.now })
    const { key } = await keyward.create({ name: 'trial', credits: { remaining: 1 } })
    expect((await keyward.verify(key)).ok).toBe(true)
    clock.advance(365 * 86_400_000)
    const result = await keyward.verify(key)
    expect(result).toMatchObject({ ok: false, code: 'usage_exceeded' })
    expect(result).not.toHaveProperty('retryAfterMs')
  })

  it('checks the rate limit before spending credits', async () => {
    const keyward = make({})
    const { key, info } = await keyward.create({ name: 'CRM', rateLimit: { limit: 2, windowMs: 60_000 }, credits: { remaining: 5 } })
    for (let i = 0; i < 4; i++) await keyward.verify(key)
    expect((await keyward.get(info.id))?.credits?.remaining).toBe(3)
  })
})

describe('failed-attempt throttling', () => {
  it('refuses a source after 100 failed guesses per hour, before any lookup or digest', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1, 10, 30))
    const store = new CountingStore()
    const keyward = make({ store, now: clock.now })
    const { key } = await keyward.create({ name: 'CRM' })
    const guess = await unknownKey()
    for (let i = 0; i < 100; i++)
      expect(await keyward.verify(guess, { source: '203.0.113.7' })).toMatchObject({ ok: false, code: 'invalid' })
    const lookups = store.calls.findById
    const refused = await keyward.verify(key, { source: '203.0.113.7' })
    expect(refused).toMatchObject({ ok: false, code: 'rate_limited', retryAfterMs: 30 * 60_000 })
    expect(store.calls.findById).toBe(lookups)
    expect((await keyward.verify(key, { source: '198.51.100.1' })).ok).toBe(true)
    clock.advance(30 * 60_000)
    expect((await keyward.verify(key, { source: '203.0.113.7' })).ok).toBe(true)
  })

  it('does not count malformed input or successes', async () => {
    const store = new CountingStore()
    const keyward = make({ store, throttle: { perSource: { limit: 2, windowMs: 60_000 } } })
    const { key } = await keyward.create({ name: 'CRM' })
    for (let i = 0; i < 10; i++) await keyward.verify('garbage', { source: 's' })
    for (let i = 0; i < 10; i++) expect((await keyward.verify(key, { source: 's' })).ok).toBe(true)
    expect(store.calls.findById ?? 0).toBeLessThanOrEqual(1)
  })

  it('shares throttling across instances through the store', async () => {
    const store = new MemoryKeyStore()
    const options = { store, throttle: { perSource: { limit: 3, windowMs: 60_000 } } }
    const a = make(options)
    const b = make(options)
    const guess = await unknownKey()
    await a.verify(guess, { source: 'x' })
    await a.verify(guess, { source: 'x' })
    await b.verify(guess, { source: 'x' }) // third failure, counted in the shared store
    expect(await b.verify(guess, { source: 'x' })).toMatchObject({ code: 'rate_limited' })
  })

  it('throttles a key id when asked to', async () => {
    const keyward = make({ throttle: { perSource: false, perKey: { limit: 2, windowMs: 60_000 } } })
    const { key } = await keyward.create({ name: 'CRM' })
    const wrong = key.slice(0, -12) + (await unknownKey()).slice(-12)
    const { crc32 } = await import('node:zlib')
    const { encodeBase62 } = await import('../src/lib/base62.js')
    const body = wrong.slice(0, -6)
    const forged = body + encodeBase62(crc32(body), 6)
    await keyward.verify(forged, { source: 'a' })
    await keyward.verify(forged, { source: 'b' })
    expect(await keyward.verify(key, { source: 'c' })).toMatchObject({ code: 'rate_limited' })
  })

  it('can be turned off', async () => {
    const keyward = make({ throttle: false })
    const guess = await unknownKey()
    for (let i = 0; i < 150; i++) await keyward.verify(guess, { source: 'x' })
    expect(await keyward.verify(guess, { source: 'x' })).toMatchObject({ code: 'invalid' })
  })
})

describe('stores without counters', () => {
  const bare = () => {
    const s = new MemoryKeyStore()
    return {
      insert: s.insert.bind(s),
      findById: s.findById.bind(s),
      update: s.update.bind(s),
      delete: s.delete.bind(s),
      list: s.list.bind(s),
      touch: s.touch.bind(s),
    }
  }

  it('run without throttling by default, refuse explicit limits when built, and refuse per-key limits', async () => {
    const keyward = make({ store: bare() })
    expect(() => createKeyward({ prefix: 'acme', store: bare(), throttle: {} })).toThrow(TypeError)
    expect(() => createKeyward({ prefix: 'acme', store: bare(), rateLimit: { limit: 1, windowMs: 1 } })).toThrow(TypeError)
    await expect(keyward.create({ name: 'x', rateLimit: { limit: 1, windowMs: 1000 } })).rejects.toBeInstanceOf(InvalidInputError)
    await expect(keyward.create({ name: 'x', credits: { remaining: 1 } })).rejects.toMatchObject({ field: 'credits' })
  })
})

it('refuses bad limit configuration when built', () => {
  const store = new MemoryKeyStore()
  expect(() => createKeyward({ prefix: 'acme', store, rateLimit: { limit: 0, windowMs: 1000 } })).toThrow(TypeError)
  expect(() => createKeyward({ prefix: 'acme', store, throttle: { perSource: { limit: 1, windowMs: -5 } } })).toThrow(TypeError)
  expect(() => createKeyward({ prefix: 'acme', store, throttle: 'yes' as never })).toThrow(TypeError)
})
