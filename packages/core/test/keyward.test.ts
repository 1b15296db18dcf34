import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ClosedError,
  ConflictError,
  createKeyward,
  InvalidInputError,
  InvalidStateError,
  KeyNotFoundError,
  KeywardError,
  type KeywardEvent,
  MemoryKeyStore,
  StoreUnavailableError,
  type VerifyFailureCode,
} from '../src/index.js'
import { CountingStore, instanceFactory, manualClock, PEPPER } from './helpers.js'

const make = instanceFactory()

describe('create', () => {
  it('returns the key once and stores only its digest', async () => {
    const store = new MemoryKeyStore()
    const keyward = make({ store })
    const { key, info } = await keyward.create({ name: 'HubSpot CRM sync', ownerId: 'team-1', scopes: ['contacts:*'] })
    expect(key).toMatch(/^acme_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/)
    expect(info).toMatchObject({
      name: 'HubSpot CRM sync',
      ownerId: 'team-1',
      scopes: ['contacts:*'],
      status: 'active',
      hint: key.slice(-4),
      redacted: `acme_live_${info.id.slice(0, 4)}…${key.slice(-4)}`,
    })
    expect(info).not.toHaveProperty('digest')
    const record = await store.findById(info.id)
    expect(record?.digest).toBe(createHmac('sha256', PEPPER).update(key).digest('hex'))
    expect(record).toMatchObject({ algorithm: 'hmac-sha256', pepperId: 'default', revision: 0 })
  })

  it('leaves no part of the secret in the store', async () => {
    const store = new MemoryKeyStore()
    const keyward = make({ store })
    for (let i = 0; i < 20; i++) {
      const { key, info } = await keyward.create({ name: `key ${i}`, metadata: { n: i } })
      const dump = JSON.stringify(await store.findById(info.id))
      const secret = key.slice(-38, -6)
      for (let start = 0; start + 8 <= secret.length; start++) expect(dump).not.toContain(secret.slice(start, start + 8))
      expect(dump).not.toContain(key)
    }
  })

  it('mints distinct ids and secrets', async () => {
    const keyward = make()
    const keys = await Promise.all(Array.from({ length: 200 }, (_, i) => keyward.create({ name: `k${i}` })))
    expect(new Set(keys.map((k) => k.key)).size).toBe(200)
    expect(new Set(keys.map((k) => k.info.id)).size).toBe(200)
  })

  it.each([
    [{ name: '' }, 'name'],
    [{ name: '   ' }, 'name'],
    [{ name: 'x'.repeat(101) }, 'name'],
    [{ name: 'bad\u0007bell' }, 'name'],
    [{ name: 'line\nbreak' }, 'name'],
    [{}, 'name'],
    [{ name: 'ok', scopes: ['Messages:Send'] }, 'scopes[0]'],
    [{ name: 'ok', scopes: ['ok:scope', 'has space'] }, 'scopes[1]'],
    [{ name: 'ok', scopes: 'messages:send' }, 'scopes'],
    [{ name: 'ok', metadata: { big: 'x'.repeat(9000) } }, 'metadata'],
    [{ name: 'ok', metadata: { when: new Date() } }, 'metadata.when'],
    [{ name: 'ok', metadata: { n: Number.NaN } }, 'metadata.n'],
    [{ name: 'ok', metadata: [] }, 'metadata'],
    [{ name: 'ok', expiresAt: new Date(Date.now() - 1000) }, 'expiresAt'],
    [{ name: 'ok', expiresAt: new Date('nope') }, 'expiresAt'],
    [{ name: 'ok', ownerId: '' }, 'ownerId'],
    [{ name: 'ok', rateLimit: { limit: 0, windowMs: 1000 } }, 'rateLimit.limit'],
  ])('refuses %j with InvalidInputError on %s and writes nothing', async (input, field) => {
    const store = new CountingStore()
    const keyward = make({ store })
    const error = await keyward.create(input as never).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidInputError)
    expect(error).toMatchObject({ code: 'invalid_input', field })
    expect(store.calls.insert ?? 0).toBe(0)
    expect(store.size).toBe(0)
  })

  it('shows nothing and leaves nothing when the store write fails', async () => {
    const store = new CountingStore()
    const keyward = make({ store })
    store.failing = true
    const error = await keyward.create({ name: 'CRM' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect((error as KeywardError).code).toBe('store_unavailable')
    expect((error as Error).message).not.toMatch(/acme_live_/)
    store.failing = false
    expect(store.size).toBe(0)
  })
})

describe('verify', () => {
  it('accepts a fresh key and returns its public view', async () => {
    const keyward = make()
    const { key, info } = await keyward.create({ name: 'CRM', scopes: ['messages:send'] })
    const result = await keyward.verify(key)
    expect(result).toEqual({ ok: true, key: expect.objectContaining({ id: info.id, name: 'CRM', status: 'active' }) })
  })

  it.each<[string, VerifyFailureCode]>([
    ['', 'malformed'],
    ['acme_live_', 'malformed'],
    ['Bearer something', 'malformed'],
  ])('answers %j with %s', async (input, code) => {
    const keyward = make()
    expect(await keyward.verify(input)).toMatchObject({ ok: false, code })
  })

  it('reaches every failure code', async () => {
    const clock = manualClock()
    const store = new CountingStore()
    const keyward = make({ store, now: clock.now })
    const { key, info } = await keyward.create({ name: 'CRM', scopes: ['contacts:sync'], expiresAt: clock.now() + 60_000 })
    const codes = new Set<VerifyFailureCode>()
    const expectCode = async (candidate: unknown, code: VerifyFailureCode, options?: { scopes?: string[] }) => {
      const result = await keyward.verify(candidate, options)
      expect(result).toMatchObject({ ok: false, code })
      codes.add(code)
    }
    await expectCode(key.slice(0, -1), 'malformed')
    const other = createKeyward({ prefix: 'acme_test', store: new MemoryKeyStore() })
    await expectCode((await other.create({ name: 'test env' })).key, 'invalid')
    await other.close()
    await expectCode(key, 'insufficient_scope', { scopes: ['messages:send'] })
    await keyward.disable(info.id)
    await expectCode(key, 'disabled')
    await keyward.enable(info.id)
    expect((await keyward.verify(key)).ok).toBe(true)
    clock.advance(60_001) // expires between two calls
    await expectCode(key, 'expired')
    await keyward.revoke(info.id)
    await expectCode(key, 'revoked')
    store.failing = true
    const fresh = createKeyward({ prefix: 'acme_live', store, pepper: PEPPER, cache: false })
    await expectCode(key, 'revoked') // cached on the first instance, still refused
    const result = await fresh.verify(key)
    expect(result).toMatchObject({ ok: false, code: 'store_unavailable', retryAfterMs: 1000 })
    codes.add('store_unavailable')
    await fresh.close()
    expect([...codes].sort()).toEqual(
      ['disabled', 'expired', 'insufficient_scope', 'invalid', 'malformed', 'revoked', 'store_unavailable'].sort(),
    )
  })

  it('treats an unknown id and a wrong secret alike, with the same message', async () => {
    const keyward = make()
    const { key } = await keyward.create({ name: 'CRM' })
    const forged = make({ store: new MemoryKeyStore() })
    const { key: unknownId } = await forged.create({ name: 'elsewhere' })
    const id = key.split('_')[2]!
    const otherSecret = unknownId.split('_')[3]!
    // Same id, another (checksum-valid) secret: rebuild the checksum so it passes parse.
    const { crc32 } = await import('node:zlib')
    const { encodeBase62 } = await import('../src/lib/base62.js')
    const body = `acme_live_${id}_${otherSecret.slice(0, 32)}`
    const wrongSecret = body + encodeBase62(crc32(body), 6)
    const a = await keyward.verify(wrongSecret)
    const b = await keyward.verify(unknownId)
    expect(a).toEqual(b)
    expect(a).toMatchObject({ ok: false, code: 'invalid' })
    expect(a).not.toHaveProperty('keyId')
  })

  it('reveals state and scope only after the digest matched', async () => {
    const keyward = make()
    const { key, info } = await keyward.create({ name: 'CRM' })
    await keyward.revoke(info.id)
    const { crc32 } = await import('node:zlib')
    const { encodeBase62 } = await import('../src/lib/base62.js')
    const body = `${key.slice(0, -7)}${key.at(-7) === 'a' ? 'b' : 'a'}`
    const wrongSecret = body + encodeBase62(crc32(body), 6)
    expect(await keyward.verify(wrongSecret)).toMatchObject({ ok: false, code: 'invalid' })
    expect(await keyward.verify(wrongSecret, { scopes: ['x'] })).toMatchObject({ ok: false, code: 'invalid' })
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'revoked', keyId: info.id })
  })

  it('grants wildcard scopes', async () => {
    const keyward = make()
    const { key: contacts } = await keyward.create({ name: 'a', scopes: ['contacts:*'] })
    const { key: all } = await keyward.create({ name: 'b', scopes: ['*'] })
    const { key: none } = await keyward.create({ name: 'c' })
    expect((await keyward.verify(contacts, { scopes: ['contacts:sync'] })).ok).toBe(true)
    expect(await keyward.verify(contacts, { scopes: ['contacts:sync', 'messages:send'] })).toMatchObject({
      ok: false,
      code: 'insufficient_scope',
      scope: 'messages:send',
    })
    expect(await keyward.verify(contacts, { scopes: ['contactsx:sync'] })).toMatchObject({ code: 'insufficient_scope' })
    expect((await keyward.verify(all, { scopes: ['messages:send', 'workflows:trigger'] })).ok).toBe(true)
    expect((await keyward.verify(none)).ok).toBe(true)
    expect(await keyward.verify(none, { scopes: ['messages:send'] })).toMatchObject({ code: 'insufficient_scope' })
  })

  it('makes zero store calls for input that cannot be a key (property)', async () => {
    const store = new CountingStore()
    const keyward = make({ store })
    const { key } = await keyward.create({ name: 'CRM' })
    const before = store.total()
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.string({ unit: 'binary', maxLength: 200 }),
          // single-character corruptions of a real key
          fc
            .tuple(fc.nat(key.length - 1), fc.string({ minLength: 1, maxLength: 1 }))
            .map(([i, c]) => key.slice(0, i) + c + key.slice(i + 1)),
        ),
        async (candidate) => {
          fc.pre(candidate !== key)
          const result = await keyward.verify(candidate)
          expect(result.ok).toBe(false)
          expect(['malformed', 'invalid']).toContain(result.ok ? '' : result.code)
        },
      ),
      { numRuns: 1500 },
    )
    expect(store.total()).toBe(before)
  })

  it('never throws, whatever it is given', async () => {
    const keyward = make()
    const inputs: unknown[] = ['', 'x'.repeat(1 << 20), '\u0000\r\n', '\ud800\udfff\ud800', '🔑'.repeat(30), null, undefined, 7, {}, []]
    for (const input of inputs) {
      const result = await keyward.verify(input)
      expect(result).toMatchObject({ ok: false, code: 'malformed' })
    }
  })

  it('fails closed with store_unavailable when the store throws, and never succeeds', async () => {
    const store = new CountingStore()
    const keyward = make({ store, cache: false })
    const { key } = await keyward.create({ name: 'CRM' })
    store.failing = true
    const result = await keyward.verify(key)
    expect(result).toMatchObject({ ok: false, code: 'store_unavailable' })
    expect(JSON.stringify(result)).not.toContain(key)
    store.failing = false
    expect((await keyward.verify(key)).ok).toBe(true)
  })

  it('fails closed when a stored digest is corrupt', async () => {
    const store = new MemoryKeyStore()
    const keyward = make({ store })
    const { key, info } = await keyward.create({ name: 'CRM' })
    const record = (await store.findById(info.id))!
    await store.delete(info.id)
    await store.insert({ ...record, digest: 'zz' })
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'store_unavailable' })
  })
})

describe('digests and peppers', () => {
  it('uses SHA-256 without a pepper', async () => {
    const store = new MemoryKeyStore()
    const keyward = make({ store, pepper: undefined })
    const { key, info } = await keyward.create({ name: 'CRM' })
    const { createHash } = await import('node:crypto')
    expect(await store.findById(info.id)).toMatchObject({
      algorithm: 'sha256',
      pepperId: null,
      digest: createHash('sha256').update(key).digest('hex'),
    })
    expect((await keyward.verify(key)).ok).toBe(true)
  })

  it('keeps keys made under an older pepper verifying after rotation, and a stolen store verifies nothing', async () => {
    const store = new MemoryKeyStore()
    const p1 = 'pepper-one-0123456789-0123456789-abc'
    const p2 = 'pepper-two-0123456789-0123456789-xyz'
    const before = make({ store, pepper: undefined, peppers: { current: 'p1', secrets: { p1 } } })
    const { key: oldKey } = await before.create({ name: 'old' })
    const after = make({ store, pepper: undefined, peppers: { current: 'p2', secrets: { p1, p2 } } })
    const { key: unusedOldKey } = await before.create({ name: 'old, never used under p2' })
    const { key: newKey, info } = await after.create({ name: 'new' })
    expect((await store.findById(info.id))?.pepperId).toBe('p2')
    expect((await after.verify(oldKey)).ok).toBe(true)
    expect((await after.verify(newKey)).ok).toBe(true)
    const p1Dropped = make({ store, pepper: undefined, peppers: { current: 'p2', secrets: { p2 } } })
    // The key used under p2 was re-digested under it; the one never used still needs p1.
    await expect.poll(async () => (await p1Dropped.verify(oldKey)).ok).toBe(true)
    expect(await p1Dropped.verify(unusedOldKey)).toMatchObject({ ok: false, code: 'invalid' })
    const wrongPepper = make({ store, pepper: 'an-attacker-guess-0123456789-0123456789' })
    expect(await wrongPepper.verify(newKey)).toMatchObject({ ok: false, code: 'invalid' })
  })

  it.each([
    [{ pepper: 'short' }, RangeError],
    [{ pepper: new Uint8Array(31) }, RangeError],
    [{ pepper: 42 }, TypeError],
    [{ pepper: PEPPER, peppers: { current: 'a', secrets: { a: PEPPER } } }, TypeError],
    [{ pepper: undefined, peppers: { current: 'b', secrets: { a: PEPPER } } }, TypeError],
    [{ pepper: undefined, peppers: { current: 'bad id!', secrets: { 'bad id!': PEPPER } } }, TypeError],
    [{ prefix: 'ACME' }, TypeError],
    [{ store: {} }, TypeError],
    [{ cache: { ttlMs: -1 } }, RangeError],
    [{ lastUsed: { intervalMs: 0 } }, RangeError],
  ])('refuses bad configuration %j when built', (options, type) => {
    expect(() => createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: PEPPER, ...(options as object) })).toThrow(type)
  })

  it('never puts the pepper in an error message', () => {
    const pepper = 'too-short-secret'
    try {
      createKeyward({ prefix: 'acme', store: new MemoryKeyStore(), pepper })
    } catch (error) {
      expect((error as Error).message).not.toContain(pepper)
      return
    }
    throw new Error('expected a RangeError')
  })
})

describe('cache', () => {
  it('serves repeated verifies from memory and invalidates on this instance’s mutations at once', async () => {
    const store = new CountingStore()
    const keyward = make({ store })
    const { key, info } = await keyward.create({ name: 'CRM' })
    for (let i = 0; i < 10; i++) expect((await keyward.verify(key)).ok).toBe(true)
    expect(store.calls.findById).toBe(1)
    await keyward.disable(info.id)
    expect(await keyward.verify(key)).toMatchObject({ code: 'disabled' })
    await keyward.enable(info.id)
    expect((await keyward.verify(key)).ok).toBe(true)
    await keyward.delete(info.id)
    expect(await keyward.verify(key)).toMatchObject({ code: 'invalid' })
  })

  it('learns of changes made by another instance through the store’s subscribe', async () => {
    const store = new MemoryKeyStore()
    const a = make({ store })
    const b = make({ store })
    const { key, info } = await a.create({ name: 'CRM' })
    expect((await b.verify(key)).ok).toBe(true)
    await a.revoke(info.id)
    expect(await b.verify(key)).toMatchObject({ code: 'revoked' })
  })

  it('drops the whole cache on a "*" change, and retries a subscription that failed', async () => {
    const store = new CountingStore()
    const listeners: ((change: { id: string }) => void)[] = []
    let attempts = 0
    store.subscribe = async (listener) => {
      if (++attempts === 1) throw new Error('LISTEN failed')
      listeners.push(listener)
      return async () => undefined
    }
    const events: KeywardEvent[] = []
    const keyward = make({ store, hooks: { onEvent: (e) => events.push(e) } })
    const { key } = await keyward.create({ name: 'CRM' })
    await keyward.verify(key)
    const reads = store.calls.findById
    await new Promise((r) => setTimeout(r, 700)) // first retry after 500 ms
    expect(attempts).toBe(2)
    expect(events.some((e) => e.type === 'store.error' && e.operation === 'subscribe')).toBe(true)
    await keyward.verify(key)
    expect(store.calls.findById).toBe(reads)
    listeners[0]!({ id: '*' })
    await keyward.verify(key)
    expect(store.calls.findById).toBe(reads! + 1)
  })

  it('without subscribe, another instance’s change shows within the TTL', async () => {
    const clock = manualClock()
    const shared = new MemoryKeyStore()
    const noSubscribe = {
      insert: shared.insert.bind(shared),
      findById: shared.findById.bind(shared),
      update: shared.update.bind(shared),
      delete: shared.delete.bind(shared),
      list: shared.list.bind(shared),
      touch: shared.touch.bind(shared),
    }
    const a = make({ store: noSubscribe, now: clock.now })
    const b = make({ store: noSubscribe, now: clock.now, cache: { ttlMs: 5_000 } })
    const { key, info } = await a.create({ name: 'CRM' })
    expect((await b.verify(key)).ok).toBe(true)
    await a.revoke(info.id)
    expect((await b.verify(key)).ok).toBe(true) // stale, within the documented TTL
    clock.advance(5_000)
    expect(await b.verify(key)).toMatchObject({ code: 'revoked' })
  })

  it('remembers unknown ids briefly (negative cache) and forgets them after negativeTtlMs', async () => {
    const clock = manualClock()
    const store = new CountingStore()
    const keyward = make({ store, now: clock.now, cache: { negativeTtlMs: 1_000 } })
    const other = make({ store: new MemoryKeyStore() })
    const { key } = await other.create({ name: 'x' })
    await keyward.verify(key)
    await keyward.verify(key)
    expect(store.calls.findById).toBe(1)
    clock.advance(1_000)
    await keyward.verify(key)
    expect(store.calls.findById).toBe(2)
  })

  it('stays bounded by max', async () => {
    const store = new CountingStore()
    const keyward = make({ store, cache: { max: 2 } })
    const keys = await Promise.all([1, 2, 3].map((i) => keyward.create({ name: `k${i}` })))
    for (const { key } of keys) await keyward.verify(key)
    const reads = store.calls.findById!
    await keyward.verify(keys[2]!.key)
    await keyward.verify(keys[1]!.key)
    expect(store.calls.findById).toBe(reads)
    await keyward.verify(keys[0]!.key) // evicted
    expect(store.calls.findById).toBe(reads + 1)
  })

  it('does not let a caller corrupt the cached view', async () => {
    const keyward = make()
    const { key } = await keyward.create({ name: 'CRM', scopes: ['a:b'] })
    const first = await keyward.verify(key)
    if (!first.ok) throw new Error('expected ok')
    expect(() => (first.key.scopes as string[]).push('*')).toThrow()
    expect(await keyward.verify(key, { scopes: ['x:y'] })).toMatchObject({ code: 'insufficient_scope' })
  })

  it('remembers a verified key only for its own record, and only while cached', async () => {
    for (const rememberVerifiedKeys of [true, false]) {
      const keyward = make({ cache: { rememberVerifiedKeys } })
      const { key, info } = await keyward.create({ name: 'CRM' })
      expect((await keyward.verify(key)).ok).toBe(true)
      expect((await keyward.verify(key)).ok).toBe(true) // from the remembered key when on
      const { crc32 } = await import('node:zlib')
      const { encodeBase62 } = await import('../src/lib/base62.js')
      const body = `${key.slice(0, -7)}${key.at(-7) === 'a' ? 'b' : 'a'}`
      expect(await keyward.verify(body + encodeBase62(crc32(body), 6))).toMatchObject({ code: 'invalid' })
      await keyward.disable(info.id) // drops the cached entry and what it remembered
      expect(await keyward.verify(key)).toMatchObject({ code: 'disabled' })
    }
    expect(() => make({ cache: { rememberVerifiedKeys: 'yes' as never } })).toThrow(TypeError)
  })

  it('can be turned off', async () => {
    const store = new CountingStore()
    const keyward = make({ store, cache: false })
    const { key } = await keyward.create({ name: 'CRM' })
    await keyward.verify(key)
    await keyward.verify(key)
    expect(store.calls.findById).toBe(2)
  })
})

describe('last used', () => {
  it('writes at most once per key per interval, batched, and close() flushes', async () => {
    const clock = manualClock()
    const store = new CountingStore()
    const keyward = make({ store, now: clock.now, lastUsed: { intervalMs: 60_000 } })
    const a = await keyward.create({ name: 'a' })
    const b = await keyward.create({ name: 'b' })
    for (let i = 0; i < 50; i++) {
      await keyward.verify(a.key)
      await keyward.verify(b.key)
    }
    expect(store.calls.touch ?? 0).toBe(0) // off the request path
    await keyward.close()
    expect(store.calls.touch).toBe(1) // one batch for both keys
    expect((await store.findById(a.info.id))?.lastUsedAt?.getTime()).toBe(clock.now())
    expect((await store.findById(b.info.id))?.lastUsedAt?.getTime()).toBe(clock.now())
  })

  it('writes again after the interval, on its own timer', async () => {
    const clock = manualClock()
    const store = new CountingStore()
    const keyward = make({ store, now: clock.now, lastUsed: { intervalMs: 50 } })
    const { key, info } = await keyward.create({ name: 'a' })
    await keyward.verify(key)
    await new Promise((r) => setTimeout(r, 120))
    expect(store.calls.touch).toBe(1)
    clock.advance(10)
    await keyward.verify(key) // within interval: no new write
    clock.advance(50)
    await keyward.verify(key)
    await new Promise((r) => setTimeout(r, 120))
    expect(store.calls.touch).toBe(2)
    expect((await keyward.get(info.id))?.lastUsedAt?.getTime()).toBe(clock.now())
  })

  it('never fails a request when the write fails', async () => {
    const store = new CountingStore()
    const events: KeywardEvent[] = []
    const keyward = make({ store, hooks: { onEvent: (e) => events.push(e) } })
    const { key } = await keyward.create({ name: 'a' })
    await keyward.verify(key) // cached now
    store.failing = true
    expect((await keyward.verify(key)).ok).toBe(true)
    await keyward.close()
    expect(events.some((e) => e.type === 'store.error' && e.operation === 'last_used')).toBe(true)
  })
})

describe('lifecycle', () => {
  it('gets, lists with owner filter and pagination, and hides revoked keys by default', async () => {
    const clock = manualClock()
    const keyward = make({ now: clock.now })
    const made = []
    for (let i = 0; i < 7; i++) {
      clock.advance(1000)
      made.push((await keyward.create({ name: `k${i}`, ownerId: i < 5 ? 'team-a' : 'team-b' })).info)
    }
    await keyward.revoke(made[1]!.id)
    expect(await keyward.get(made[0]!.id)).toMatchObject({ id: made[0]!.id, name: 'k0' })
    expect(await keyward.get('ZZZZZZZZZZZZ')).toBeNull()
    expect(await keyward.get('../etc/passwd')).toBeNull()
    const page1 = await keyward.list({ ownerId: 'team-a', limit: 2 })
    expect(page1.items.map((k) => k.name)).toEqual(['k4', 'k3'])
    const page2 = await keyward.list({ ownerId: 'team-a', limit: 2, cursor: page1.nextCursor! })
    expect(page2.items.map((k) => k.name)).toEqual(['k2', 'k0'])
    expect(page2.nextCursor).toBeUndefined()
    const all = await keyward.list({ ownerId: 'team-a', includeRevoked: true })
    expect(all.items.map((k) => k.name)).toEqual(['k4', 'k3', 'k2', 'k1', 'k0'])
    expect(all.items.find((k) => k.name === 'k1')?.status).toBe('revoked')
    expect((await keyward.list()).items).toHaveLength(6)
    for (const item of all.items) expect(item).not.toHaveProperty('digest')
    await expect(keyward.list({ limit: 0 })).rejects.toMatchObject({ code: 'invalid_input', field: 'limit' })
    await expect(keyward.list({ cursor: 'garbage' })).rejects.toMatchObject({ code: 'invalid_input', field: 'cursor' })
  })

  it('updates name, scopes, metadata and expiry', async () => {
    const keyward = make()
    const { key, info } = await keyward.create({ name: 'CRM', scopes: ['a:b'] })
    const updated = await keyward.update(info.id, { name: 'Renamed', scopes: ['messages:send'], metadata: { crm: 'hubspot' } })
    expect(updated).toMatchObject({ name: 'Renamed', scopes: ['messages:send'], metadata: { crm: 'hubspot' } })
    expect((await keyward.verify(key, { scopes: ['messages:send'] })).ok).toBe(true)
    await expect(keyward.update(info.id, { name: '' })).rejects.toBeInstanceOf(InvalidInputError)
    await expect(keyward.update('ZZZZZZZZZZZZ', { name: 'x' })).rejects.toBeInstanceOf(KeyNotFoundError)
    expect((await keyward.get(info.id))?.name).toBe('Renamed')
  })

  it('disables and enables; revoke is irreversible', async () => {
    const keyward = make()
    const { key, info } = await keyward.create({ name: 'CRM' })
    expect((await keyward.disable(info.id)).status).toBe('disabled')
    expect((await keyward.disable(info.id)).status).toBe('disabled') // idempotent
    expect((await keyward.enable(info.id)).status).toBe('active')
    expect((await keyward.revoke(info.id)).status).toBe('revoked')
    await expect(keyward.enable(info.id)).rejects.toBeInstanceOf(InvalidStateError)
    await expect(keyward.update(info.id, { name: 'x' })).rejects.toMatchObject({ code: 'invalid_state' })
    await expect(keyward.rotate(info.id)).rejects.toMatchObject({ code: 'invalid_state' })
    expect(await keyward.verify(key)).toMatchObject({ code: 'revoked' })
  })

  it('deletes for good', async () => {
    const keyward = make()
    const { key, info } = await keyward.create({ name: 'CRM' })
    await keyward.delete(info.id)
    expect(await keyward.get(info.id)).toBeNull()
    expect(await keyward.verify(key)).toMatchObject({ code: 'invalid' })
    await expect(keyward.delete(info.id)).rejects.toMatchObject({ code: 'not_found' })
  })

  it('rotates with a grace period: the old key works until it ends, the new one at once', async () => {
    const clock = manualClock()
    const keyward = make({ now: clock.now })
    const { key: oldKey, info } = await keyward.create({ name: 'CRM', scopes: ['contacts:sync'], metadata: { crm: 'x' } })
    const { key: newKey, info: next, previous } = await keyward.rotate(info.id, { gracePeriodMs: 60_000 })
    expect(next).toMatchObject({ name: 'CRM', scopes: ['contacts:sync'], metadata: { crm: 'x' }, rotatedFromId: info.id })
    expect(previous).toMatchObject({ id: info.id, rotatedToId: next.id, expiresAt: new Date(clock.now() + 60_000) })
    expect((await keyward.verify(oldKey)).ok).toBe(true)
    expect((await keyward.verify(newKey)).ok).toBe(true)
    await expect(keyward.rotate(info.id)).rejects.toBeInstanceOf(ConflictError)
    clock.advance(60_000)
    expect(await keyward.verify(oldKey)).toMatchObject({ code: 'expired' })
    expect((await keyward.verify(newKey)).ok).toBe(true)
  })

  it('yields exactly one successor for concurrent rotations', async () => {
    const store = new MemoryKeyStore()
    const a = make({ store })
    const b = make({ store })
    const { info } = await a.create({ name: 'CRM', ownerId: 'o' })
    const results = await Promise.allSettled([a.rotate(info.id), b.rotate(info.id), a.rotate(info.id), b.rotate(info.id)])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError)
    expect((await a.list({ ownerId: 'o' })).items).toHaveLength(2)
  })

  it('rolls a rotation back when the successor cannot be stored', async () => {
    const store = new CountingStore()
    const keyward = make({ store })
    const { key, info } = await keyward.create({ name: 'CRM' })
    const insert = store.insert.bind(store)
    store.insert = async () => {
      throw new Error('disk full')
    }
    await expect(keyward.rotate(info.id, { gracePeriodMs: 0 })).rejects.toBeInstanceOf(StoreUnavailableError)
    store.insert = insert
    expect(await keyward.get(info.id)).toMatchObject({ rotatedToId: null, expiresAt: null, status: 'active' })
    expect((await keyward.verify(key)).ok).toBe(true)
  })

  it('identifies a key in any state, and nothing else', async () => {
    const store = new CountingStore()
    const keyward = make({ store })
    const { key, info } = await keyward.create({ name: 'CRM' })
    await keyward.revoke(info.id)
    expect(await keyward.identify(key)).toMatchObject({ id: info.id, status: 'revoked' })
    const body = `${key.slice(0, -7)}${key.at(-7) === 'a' ? 'b' : 'a'}`
    const { crc32 } = await import('node:zlib')
    const { encodeBase62 } = await import('../src/lib/base62.js')
    expect(await keyward.identify(body + encodeBase62(crc32(body), 6))).toBeNull()
    const reads = store.calls.findById
    expect(await keyward.identify(key.slice(1))).toBeNull()
    expect(store.calls.findById).toBe(reads)
  })

  it('refuses everything after close()', async () => {
    const keyward = make()
    const { key } = await keyward.create({ name: 'CRM' })
    await keyward.close()
    await expect(keyward.create({ name: 'x' })).rejects.toBeInstanceOf(ClosedError)
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'store_unavailable' })
  })
})

describe('hooks', () => {
  it('emits lifecycle and verification events that carry ids, never keys or digests', async () => {
    const store = new MemoryKeyStore()
    const events: KeywardEvent[] = []
    const keyward = make({ store, hooks: { onEvent: (e) => events.push(e) } })
    const { key, info } = await keyward.create({ name: 'CRM', ownerId: 'o1' })
    await keyward.verify(key)
    await keyward.verify(key.slice(0, -2))
    await keyward.update(info.id, { name: 'CRM 2' })
    await keyward.disable(info.id)
    await keyward.verify(key)
    await keyward.enable(info.id)
    const { info: next } = await keyward.rotate(info.id, { gracePeriodMs: 1000 })
    await keyward.revoke(info.id)
    await keyward.delete(next.id)
    expect(events.map((e) => e.type)).toEqual([
      'key.created',
      'key.verified',
      'key.verify_failed',
      'key.updated',
      'key.disabled',
      'key.verify_failed',
      'key.enabled',
      'key.rotated',
      'key.revoked',
      'key.deleted',
    ])
    expect(events[5]).toMatchObject({ code: 'disabled', keyId: info.id })
    expect(events[7]).toMatchObject({ keyId: info.id, successorId: next.id })
    const digest = (await store.findById(info.id))!.digest
    const dump = JSON.stringify(events)
    expect(dump).not.toContain(key.slice(-38))
    expect(dump).not.toContain(digest)
    expect(dump).not.toContain(PEPPER)
  })

  it('ignores a hook that throws', async () => {
    const keyward = make({
      hooks: {
        onEvent: () => {
          throw new Error('audit log down')
        },
      },
    })
    const { key } = await keyward.create({ name: 'CRM' })
    expect((await keyward.verify(key)).ok).toBe(true)
  })
})

describe('errors', () => {
  it('share one base class with stable codes', () => {
    const errors = [
      new InvalidInputError('name', 'bad'),
      new KeyNotFoundError('x'),
      new InvalidStateError('x', 'm'),
      new ConflictError('x', 'm'),
      new StoreUnavailableError('verify'),
      new ClosedError(),
    ]
    expect(errors.map((e) => e.code)).toEqual(['invalid_input', 'not_found', 'invalid_state', 'conflict', 'store_unavailable', 'closed'])
    for (const error of errors) {
      expect(error).toBeInstanceOf(KeywardError)
      expect(error.name).toBe(error.constructor.name)
      expect((error.constructor as typeof KeywardError).code).toBe(error.code)
    }
  })
})
