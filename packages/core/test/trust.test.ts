/**
 * The trust boundaries of core, tested from the attacker's side: someone who can write one row,
 * a tenant who may rotate its own keys, a second deployment sharing the store, a burst of guesses,
 * and application code that passes the wrong shapes.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { InvalidInputError, InvalidStateError, KeyNotFoundError, type Keyward, type KeywardEvent, MemoryKeyStore } from '../src/index.js'
import type { ApiKeyRecord } from '../src/store/index.js'
import { KeyFormat } from '../src/format.js'
import { CountingStore, instanceFactory, manualClock, PEPPER } from './helpers.js'

const make = instanceFactory()

const format = new KeyFormat({ prefix: 'acme_live' })
const csprng = (n: number) => new Uint8Array(randomBytes(n))

/** A well-formed key of this deployment (right shape and checksum) that no Keyward stored: what an attacker makes up. */
function madeUpKey(id?: string): { key: string; id: string } {
  return format.generate(csprng, id)
}

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex')

describe('someone who can write one row', () => {
  it('cannot mint a working key with an unpeppered row when a pepper is configured', async () => {
    const store = new MemoryKeyStore()
    const keyward = make({ store })
    const { info } = await keyward.create({ name: 'Admin integration', scopes: ['*'] })
    const victim = (await store.findById(info.id))!
    // A new row, and a rewrite of an existing one, both claiming plain SHA-256 of a made-up key.
    const { key, id } = madeUpKey()
    await store.insert({ ...victim, id, digest: sha256(key), algorithm: 'sha256', pepperId: null })
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'invalid' })
    expect(await keyward.identify(key)).toBeNull()
    const { key: forged } = madeUpKey(info.id)
    await store.update(info.id, { digest: sha256(forged), algorithm: 'sha256', pepperId: null })
    expect(await keyward.verify(forged)).toMatchObject({ ok: false, code: 'invalid' })
    expect(await keyward.identify(forged)).toBeNull()
  })

  it('cannot mint one under a pepper id that is not configured', async () => {
    const store = new MemoryKeyStore()
    const keyward = make({ store })
    const { info } = await keyward.create({ name: 'Admin', scopes: ['*'] })
    const { key } = madeUpKey(info.id)
    const attackerPepper = 'attacker-pepper-0123456789-0123456789'
    await store.update(info.id, {
      digest: createHmac('sha256', attackerPepper).update(key).digest('hex'),
      algorithm: 'hmac-sha256',
      pepperId: 'attacker',
    })
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'invalid' })
  })

  it('gets unpeppered keys accepted only inside acceptUnpepperedUntil, each re-digested on its first success', async () => {
    const clock = manualClock()
    const store = new MemoryKeyStore()
    const legacy = make({ store, pepper: undefined, now: clock.now })
    const { key: used, info: usedInfo } = await legacy.create({ name: 'used in the window' })
    const { key: unused } = await legacy.create({ name: 'never used' })
    const events: KeywardEvent[] = []
    const keyward = make({
      store,
      now: clock.now,
      acceptUnpepperedUntil: new Date(clock.now() + 60_000),
      hooks: { onEvent: (event) => events.push(event) },
    })

    expect(await keyward.verify(`${used.slice(0, -1)}x`)).toMatchObject({ ok: false })
    expect((await store.findById(usedInfo.id))?.algorithm).toBe('sha256') // a failed verify writes nothing
    expect((await keyward.verify(used)).ok).toBe(true)
    await expect.poll(async () => (await store.findById(usedInfo.id))?.algorithm).toBe('hmac-sha256')
    const upgraded = (await store.findById(usedInfo.id))!
    expect(upgraded).toMatchObject({ pepperId: 'default', digest: createHmac('sha256', PEPPER).update(used).digest('hex') })
    await expect.poll(() => events.some((e) => e.type === 'key.digest_upgraded' && e.keyId === usedInfo.id)).toBe(true)

    clock.advance(60_000)
    expect((await keyward.verify(used)).ok).toBe(true)
    expect(await keyward.verify(unused)).toMatchObject({ ok: false, code: 'invalid' })
  })

  it('re-digests a key made under an older pepper on its next success, so the old pepper can be retired', async () => {
    const store = new MemoryKeyStore()
    const p1 = 'pepper-one-0123456789-0123456789-abc'
    const p2 = 'pepper-two-0123456789-0123456789-xyz'
    const before = make({ store, pepper: undefined, peppers: { current: 'p1', secrets: { p1 } } })
    const { key, info } = await before.create({ name: 'made under p1' })
    const during = make({ store, pepper: undefined, peppers: { current: 'p2', secrets: { p1, p2 } } })
    expect((await during.verify(key)).ok).toBe(true)
    await expect.poll(async () => (await store.findById(info.id))?.pepperId).toBe('p2')
    const after = make({ store, pepper: undefined, peppers: { current: 'p2', secrets: { p2 } } })
    expect((await after.verify(key)).ok).toBe(true)
  })

  it('refuses acceptUnpepperedUntil without a pepper, or when it is not a Date', () => {
    expect(() => make({ pepper: undefined, acceptUnpepperedUntil: new Date(Date.now() + 1000) })).toThrow(TypeError)
    expect(() => make({ acceptUnpepperedUntil: '2027-01-01' as never })).toThrow(TypeError)
  })
})

describe('a tenant who may rotate its own keys', () => {
  it('gets no more credits by rotating: the key and its successors share one budget', async () => {
    const keyward = make()
    const { key: first, info } = await keyward.create({ name: 'CRM', credits: { remaining: 10 } })
    const keys = [first]
    let id = info.id
    for (let i = 0; i < 3; i++) {
      const rotated = await keyward.rotate(id, { gracePeriodMs: 3_600_000 })
      keys.push(rotated.key)
      id = rotated.info.id
    }
    let ok = 0
    for (let round = 0; round < 10; round++) for (const key of keys) if ((await keyward.verify(key)).ok) ok++
    expect(ok).toBe(10)
    const refused = await keyward.verify(keys[0]!)
    expect(refused).toMatchObject({ ok: false, code: 'usage_exceeded', creditsRemaining: 0 })
  })

  it('carries credits over exactly when spends race the rotation', async () => {
    const keyward = make()
    const { key, info } = await keyward.create({ name: 'CRM', credits: { remaining: 50 } })
    const spends = Array.from({ length: 30 }, () => keyward.verify(key))
    const rotated = await keyward.rotate(info.id, { gracePeriodMs: 60_000 })
    const first = (await Promise.all(spends)).filter((r) => r.ok).length
    let later = 0
    for (let i = 0; i < 60; i++) if ((await keyward.verify(i % 2 ? key : rotated.key)).ok) later++
    expect(first + later).toBe(50)
  })

  it('gets no fresh rate-limit window by rotating', async () => {
    const clock = manualClock(Date.UTC(2026, 10, 28, 12, 0, 0))
    const keyward = make({ now: clock.now })
    const { key, info } = await keyward.create({ name: 'CRM', rateLimit: { limit: 5, windowMs: 60_000 } })
    for (let i = 0; i < 3; i++) expect((await keyward.verify(key)).ok).toBe(true)
    const rotated = await keyward.rotate(info.id, { gracePeriodMs: 60_000 })
    const outcomes = []
    for (let i = 0; i < 4; i++) outcomes.push((await keyward.verify(i % 2 ? key : rotated.key)).ok)
    expect(outcomes).toEqual([true, true, false, false])
  })

  it.each([
    ['revoked', (k: Keyward, id: string) => k.revoke(id)],
    ['disabled', (k: Keyward, id: string) => k.disable(id)],
  ])('cannot rotate a %s key into a live one', async (_state, act) => {
    const keyward = make()
    const { info } = await keyward.create({ name: 'CRM', ownerId: 'team' })
    await act(keyward, info.id)
    await expect(keyward.rotate(info.id)).rejects.toBeInstanceOf(InvalidStateError)
    expect((await keyward.list({ ownerId: 'team', includeRevoked: true })).items).toHaveLength(1)
  })

  it('cannot rotate an expired key into a live one', async () => {
    const clock = manualClock()
    const keyward = make({ now: clock.now })
    const { info } = await keyward.create({ name: 'CRM', expiresAt: clock.now() + 1000 })
    clock.advance(1000)
    await expect(keyward.rotate(info.id)).rejects.toBeInstanceOf(InvalidStateError)
  })

  it('cannot extend a predecessor’s grace period, or give it limits of its own', async () => {
    const clock = manualClock()
    const keyward = make({ now: clock.now })
    const { key, info } = await keyward.create({ name: 'CRM', credits: { remaining: 5 } })
    await keyward.rotate(info.id, { gracePeriodMs: 60_000 })
    await expect(keyward.update(info.id, { expiresAt: clock.now() + 86_400_000 })).rejects.toBeInstanceOf(InvalidStateError)
    await expect(keyward.update(info.id, { expiresAt: null })).rejects.toBeInstanceOf(InvalidStateError)
    await expect(keyward.update(info.id, { credits: { remaining: 1000 } })).rejects.toBeInstanceOf(InvalidStateError)
    await expect(keyward.update(info.id, { rateLimit: null })).rejects.toBeInstanceOf(InvalidStateError)
    expect((await keyward.update(info.id, { expiresAt: clock.now() + 1000, name: 'CRM (old)' })).name).toBe('CRM (old)')
    clock.advance(1000)
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'expired' })
  })
})

describe('two deployments sharing one store', () => {
  it('each acts only on records of its own prefix', async () => {
    const store = new MemoryKeyStore()
    const live = make({ store })
    const test = make({ store, prefix: 'acme_test' })
    const { key: testKey, info } = await test.create({ name: 'Sandbox admin', scopes: ['*'], ownerId: 'team' })
    await live.create({ name: 'Live', ownerId: 'team' })

    expect(await live.get(info.id)).toBeNull()
    expect((await live.list({ ownerId: 'team' })).items.map((k) => k.prefix)).toEqual(['acme_live'])
    for (const act of [
      () => live.rotate(info.id),
      () => live.update(info.id, { name: 'mine now' }),
      () => live.disable(info.id),
      () => live.enable(info.id),
      () => live.revoke(info.id),
      () => live.delete(info.id),
    ])
      await expect(act()).rejects.toBeInstanceOf(KeyNotFoundError)
    expect((await test.get(info.id))?.status).toBe('active')
    expect((await test.verify(testKey)).ok).toBe(true)
    expect(await live.verify(testKey)).toMatchObject({ ok: false, code: 'invalid' })
  })
})

describe('a whole key passed where an id belongs', () => {
  it('is never echoed by an error, only its redacted form', async () => {
    const keyward = make()
    const { key, info } = await keyward.create({ name: 'CRM' })
    for (const act of [
      () => keyward.revoke(key),
      () => keyward.disable(key),
      () => keyward.enable(key),
      () => keyward.delete(key),
      () => keyward.rotate(key),
      () => keyward.update(key, { name: 'x' }),
    ]) {
      const error = await act().then(
        () => undefined,
        (e: unknown) => e as KeyNotFoundError,
      )
      expect(error).toBeInstanceOf(KeyNotFoundError)
      const text = `${error!.message} ${error!.keyId} ${JSON.stringify(error)}`
      expect(text).not.toContain(key.slice(-38, -6))
      expect(error!.message).toContain(`acme_live_${info.id.slice(0, 4)}…${key.slice(-4)}`)
      expect(error!.message).toContain(`pass ${info.id}`)
    }
    const other = await keyward.revoke('some-long-secret-looking-text').catch((e: Error) => e.message)
    expect(other).not.toContain('some-long-secret')
  })
})

describe('a burst of wrong guesses from one source', () => {
  it('lets at most the limit reach a digest', async () => {
    const store = new CountingStore()
    const keyward = make({ store, throttle: { perSource: { limit: 100, windowMs: 3_600_000 } } })
    const { info } = await keyward.create({ name: 'CRM' })
    const guesses = await Promise.all(
      Array.from({ length: 1000 }, async () => keyward.verify(madeUpKey(info.id).key, { source: '203.0.113.7' })),
    )
    const codes = guesses.map((r) => (r.ok ? 'ok' : r.code))
    expect(codes.filter((c) => c === 'invalid')).toHaveLength(100)
    expect(codes.filter((c) => c === 'rate_limited')).toHaveLength(900)
    // One counter write per failed guess that was checked: the other 900 never reached a digest.
    expect(store.calls.incrementCounter).toBe(100)
    // Another address is not affected.
    expect(await keyward.verify(madeUpKey(info.id).key, { source: '198.51.100.1' })).toMatchObject({ code: 'invalid' })
  })
})

describe('small correctness holes', () => {
  it('hands out a view whose dates cannot move the cached expiry', async () => {
    const clock = manualClock()
    const keyward = make({ now: clock.now })
    const { key } = await keyward.create({ name: 'CRM', expiresAt: clock.now() + 1000 })
    const result = await keyward.verify(key)
    if (!result.ok) throw new Error('expected success')
    expect(() => result.key.expiresAt!.setTime(clock.now() + 86_400_000)).not.toThrow()
    clock.advance(1000)
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'expired' })
  })

  it.each([1e300, 8.64e15, Number.MAX_SAFE_INTEGER, new Date(8.64e15)])('refuses an expiry no store can keep: %s', async (expiresAt) => {
    const keyward = make()
    await expect(keyward.create({ name: 'CRM', expiresAt })).rejects.toBeInstanceOf(InvalidInputError)
    const { info } = await keyward.create({ name: 'CRM' })
    await expect(keyward.update(info.id, { expiresAt })).rejects.toBeInstanceOf(InvalidInputError)
  })

  it.each<[string, Partial<Record<keyof ApiKeyRecord, unknown>>]>([
    ['scopes not an array', { scopes: 'files:read' }],
    ['an invalid date', { createdAt: new Date(Number.NaN) }],
    ['expiresAt a string', { expiresAt: '2030-01-01' }],
    ['a digest that is not hex', { digest: 'zz' }],
    ['no revision', { revision: undefined }],
  ])('fails closed with store_unavailable and a store.error on a malformed record (%s)', async (_what, damage) => {
    const store = new MemoryKeyStore()
    const events: KeywardEvent[] = []
    const keyward = make({ store, hooks: { onEvent: (event) => events.push(event) } })
    const { key, info } = await keyward.create({ name: 'CRM' })
    const record = (await store.findById(info.id))!
    await store.delete(info.id)
    await store.insert({ ...record, ...damage } as ApiKeyRecord)
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'store_unavailable' })
    expect(events).toContainEqual(expect.objectContaining({ type: 'store.error', operation: 'verify', keyId: info.id }))
    await expect(keyward.get(info.id)).rejects.toMatchObject({ code: 'store_unavailable' })
  })

  it('throws a TypeError for an invalid cost: a programming error, not a caller’s input', async () => {
    const keyward = make()
    const { key } = await keyward.create({ name: 'CRM' })
    for (const cost of [-1, 1.5, Number.NaN, '1'])
      await expect(keyward.verify(key, { cost: cost as number })).rejects.toBeInstanceOf(TypeError)
  })
})

describe('a scope requirement in the wrong shape', () => {
  it('never grants', async () => {
    const keyward = make()
    const { key } = await keyward.create({ name: 'Files', scopes: ['files:read'] })
    expect(await keyward.verify(key, { scopes: { anyOf: ['admin:all'] } })).toMatchObject({
      ok: false,
      code: 'insufficient_scope',
      missingScopes: ['admin:all'],
    })
    expect(await keyward.verify(key, { scopes: { allOf: ['files:read', 'admin:all'] } })).toMatchObject({
      code: 'insufficient_scope',
      missingScopes: ['admin:all'],
    })
    for (const scopes of [new Set(['admin:all']), null, { anyOf: [] }, { anyOf: ['a'], allOf: ['b'] }, { oneOf: ['a'] }, 'admin:all', [42]])
      await expect(keyward.verify(key, { scopes: scopes as never })).rejects.toBeInstanceOf(TypeError)
    await expect(keyward.verify(key, { scope: ['admin:all'] } as never)).rejects.toBeInstanceOf(TypeError)
  })

  it('grants anyOf when one is held, and names every missing scope otherwise', async () => {
    const keyward = make()
    const { key } = await keyward.create({ name: 'Files', scopes: ['files:read'] })
    expect((await keyward.verify(key, { scopes: { anyOf: ['admin:all', 'files:read'] } })).ok).toBe(true)
    expect(await keyward.verify(key, { scopes: ['a:b', 'files:read', 'c:d'] })).toMatchObject({ missingScopes: ['a:b', 'c:d'] })
  })
})

describe('unknown fields', () => {
  it('are refused by create, update, rotate and list, and nothing is written', async () => {
    const store = new CountingStore()
    const keyward = make({ store })
    await expect(keyward.create({ name: 'CRM', expires: Date.now() + 1000 } as never)).rejects.toMatchObject({
      code: 'invalid_input',
      field: 'input.expires',
    })
    expect(store.calls.insert).toBeUndefined()
    const { info } = await keyward.create({ name: 'CRM' })
    await expect(keyward.update(info.id, { nmae: 'x' } as never)).rejects.toBeInstanceOf(InvalidInputError)
    await expect(keyward.rotate(info.id, { grace: 1000 } as never)).rejects.toBeInstanceOf(InvalidInputError)
    await expect(keyward.list({ owner: 'x' } as never)).rejects.toBeInstanceOf(InvalidInputError)
    expect((await keyward.get(info.id))?.name).toBe('CRM')
  })
})

describe('unknown ids', () => {
  it('cannot evict real records from the cache, however many are tried', async () => {
    const store = new CountingStore()
    const keyward = make({ store, cache: { max: 100 } })
    const keys = await Promise.all(Array.from({ length: 50 }, (_, i) => keyward.create({ name: `k${i}` })))
    for (const { key } of keys) expect((await keyward.verify(key)).ok).toBe(true)
    const loadsBefore = store.calls.findById ?? 0
    for (let i = 0; i < 2000; i++) await keyward.verify(madeUpKey().key)
    const loadsDuringFlood = (store.calls.findById ?? 0) - loadsBefore
    for (const { key } of keys) expect((await keyward.verify(key)).ok).toBe(true)
    expect((store.calls.findById ?? 0) - loadsBefore - loadsDuringFlood).toBe(0)
  })
})
