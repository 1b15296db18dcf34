import { createHash, pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto'
import { ConflictError, createKeyward, InvalidInputError, type KeyStore, type KeywardEvent, MemoryKeyStore } from '@keyward/core'
import { slowHashes } from '@keyward/core/slow-hashes'
import { describe, expect, it } from 'vitest'
import { countingStore } from './helpers.js'

const PEPPER = 'import-test-pepper-0123456789-0123456789'
const sha256 = (text: string, encoding: 'hex' | 'base64' | 'base64url') => createHash('sha256').update(text).digest(encoding)

function setup(store: KeyStore = new MemoryKeyStore(), pepper: string | false = PEPPER) {
  return createKeyward({
    prefix: 'acme_live',
    store,
    pepper,
    throttle: false,
    lastUsed: false,
    legacy: { prefixes: ['ba_', 'sk_live_', 'mycompany'] },
  })
}

describe('keyward.import', () => {
  it.each(['hex', 'base64', 'base64url'] as const)(
    'imports a whole-key SHA-256 in %s, verifies it, and re-digests it under the pepper on first use only',
    async (encoding) => {
      const memory = new MemoryKeyStore()
      const keyward = setup(memory)
      const key = `ba_${'x7Kq9'.repeat(8)}`
      const { info } = await keyward.import({
        name: 'CRM sync',
        ownerId: 'acct_42',
        scopes: ['contacts:*'],
        createdAt: Date.UTC(2025, 0, 1),
        digest: { algorithm: `sha256-${encoding}`, value: sha256(key, encoding) },
      })
      expect(info).toMatchObject({ name: 'CRM sync', legacyDigest: true, createdAt: new Date(Date.UTC(2025, 0, 1)) })
      expect(info.importedAt).toBeInstanceOf(Date)
      // A wrong key of the same prefix fails, and writes nothing.
      expect(await keyward.verify(`ba_${'x7Kq9'.repeat(7)}x7Kq8`)).toMatchObject({ ok: false, code: 'invalid' })
      expect((await memory.findById(info.id))?.algorithm).toBe('legacy-sha256')
      const first = await keyward.verify(key, { scopes: ['contacts:sync'] })
      expect(first).toMatchObject({ ok: true, key: { id: info.id, ownerId: 'acct_42' } })
      await expect.poll(async () => (await memory.findById(info.id))?.algorithm).toBe('hmac-sha256')
      const fresh = setup(memory)
      expect((await fresh.verify(key)).ok).toBe(true)
      expect(await fresh.migrationStatus()).toEqual({ imported: 1, upgraded: 1, legacy: 0, unusedSinceImport: 1 })
    },
  )

  it("imports prefixed-api-key's short token and long-token hash", async () => {
    const memory = new MemoryKeyStore()
    const keyward = setup(memory)
    const [short, long] = ['BRTRKFsL', '51FwqftsmMDHHbJAMEXXHCgG']
    const key = `mycompany_${short}_${long}`
    const { info } = await keyward.import({
      name: 'legacy',
      digest: { algorithm: 'prefixed-api-key', value: sha256(long, 'hex'), lookupId: short },
    })
    expect(await keyward.verify(`mycompany_${short}_51FwqftsmMDHHbJAMEXXHCgH`)).toMatchObject({ code: 'invalid' })
    expect(await keyward.verify(key)).toMatchObject({ ok: true, key: { id: info.id } })
    await expect.poll(async () => (await memory.findById(info.id))?.algorithm).toBe('hmac-sha256')
    expect((await setup(memory).verify(key)).ok).toBe(true)
  })

  it('imports a plaintext key digested as a native one, and a Keyward key under its own id', async () => {
    const keyward = setup()
    const { info } = await keyward.import({ name: 'plain', key: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc' })
    expect(info).toMatchObject({ legacyDigest: false, hint: 'p7dc' })
    expect((await keyward.verify('sk_live_4eC39HqLyjWDarjtT1zdp7dc')).ok).toBe(true)
    const other = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: PEPPER })
    const { key, info: made } = await other.create({ name: 'elsewhere' })
    expect((await keyward.import({ name: 'moved', key })).info.id).toBe(made.id)
    expect((await keyward.verify(key)).ok).toBe(true)
  })

  it('refuses bad input before writing anything, and a second import of the same key', async () => {
    const { store, memory } = countingStore()
    const keyward = setup(store)
    const digest = { algorithm: 'sha256-hex' as const, value: sha256('ba_abcdefgh12345678', 'hex') }
    for (const input of [
      { name: 'both', key: 'ba_abcdefgh12345678', digest },
      { name: 'neither' },
      { name: 'bad hex', digest: { algorithm: 'sha256-hex' as const, value: 'zz' } },
      { name: 'bad algorithm', digest: { algorithm: 'md5' as never, value: 'x' } },
      { name: 'no short token', digest: { algorithm: 'prefixed-api-key' as const, value: sha256('x', 'hex') } },
      { name: 'undeclared', key: 'pk_test_abcdefgh12345678' },
      { name: 'future', digest, createdAt: Date.now() + 60_000 },
    ])
      await expect(keyward.import(input)).rejects.toBeInstanceOf(InvalidInputError)
    expect(memory.size).toBe(0)
    await keyward.import({ name: 'once', digest })
    await expect(keyward.import({ name: 'twice', digest })).rejects.toBeInstanceOf(ConflictError)
    await expect(createKeyward({ prefix: 'acme_live', store, pepper: PEPPER }).import({ name: 'x', digest })).rejects.toMatchObject({
      field: 'digest',
    })
  })

  it('refuses strings that are neither format with no store call, and a legacy guess with at most two lookups', async () => {
    const { store, calls } = countingStore()
    const keyward = setup(store)
    delete calls.subscribe
    for (const key of ['pk_test_abcdefgh12345678', 'ba_', 'x'.repeat(600), 'ba_ spaces in it'])
      expect(await keyward.verify(key)).toMatchObject({ code: 'malformed' })
    expect(calls).toEqual({})
    expect(await keyward.verify('mycompany_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBB')).toMatchObject({ code: 'invalid' })
    expect(calls).toEqual({ findById: 2 })
  })

  it('lets no one who writes a row plant a legacy key without the pepper', async () => {
    const memory = new MemoryKeyStore()
    const keyward = setup(memory)
    const { info } = await keyward.import({
      name: 'victim',
      digest: { algorithm: 'sha256-hex', value: sha256('ba_original-key-123', 'hex') },
    })
    const planted = 'ba_attacker-chosen-key'
    // The row-writer rewrites the digest to the plain SHA-256 of a key they chose, in every form.
    for (const [algorithm, pepperId] of [
      ['legacy-sha256', 'default'],
      ['legacy-sha256', null],
      ['sha256', null],
    ] as const) {
      const moved = { ...(await memory.findById(info.id))!, digest: sha256(planted, 'hex'), algorithm, pepperId }
      await memory.delete(info.id)
      await memory.insert({ ...moved, id: idOf(planted) })
      expect(await setup(memory).verify(planted)).toMatchObject({ ok: false, code: 'invalid' })
      await memory.delete(idOf(planted))
      await memory.insert({ ...moved })
    }

    function idOf(key: string): string {
      // The id a legacy key is looked up by is public (it is the record's id); find it by importing elsewhere.
      return derivedIds.get(key)!
    }
  })
})

const derivedIds = new Map<string, string>()
// Compute the id the row-writer needs, as import would derive it, with an unpeppered throwaway instance.
await (async () => {
  const probe = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: false, legacy: { prefixes: ['ba_'] } })
  derivedIds.set('ba_attacker-chosen-key', (await probe.import({ name: 'p', key: 'ba_attacker-chosen-key' })).info.id)
})()

describe('keyward.import of salted slow hashes', () => {
  const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '')
  /** PHC strings made by Node's own scrypt and PBKDF2 (not the implementation core uses). */
  function scryptPhc(key: string): string {
    const salt = randomBytes(16)
    return `$scrypt$ln=10,r=8,p=1$${b64(salt)}$${b64(scryptSync(key, salt, 32, { N: 1024, r: 8, p: 1 }))}`
  }
  function pbkdf2Phc(key: string): string {
    const salt = randomBytes(16)
    return `$pbkdf2-sha256$i=1000$${b64(salt)}$${b64(pbkdf2Sync(key, salt, 1000, 32, 'sha256'))}`
  }
  const lookupId = (key: string) => key.slice('sk_live_'.length).split('.')[0]
  function slowSetup(store: KeyStore) {
    return createKeyward({
      prefix: 'acme_live',
      store,
      pepper: PEPPER,
      throttle: false,
      lastUsed: false,
      legacy: { prefixes: ['sk_live_'], lookupId, slowHashes },
    })
  }

  it.each([
    ['scrypt', scryptPhc],
    ['pbkdf2', pbkdf2Phc],
  ] as const)('verifies a key imported as %s by re-running it, then re-digests it natively', async (algorithm, make) => {
    const memory = new MemoryKeyStore()
    const keyward = slowSetup(memory)
    const key = 'sk_live_row42.s3cretPartOfTheKey0123456789'
    const { info } = await keyward.import({ name: 'slow', digest: { algorithm, value: make(key), lookupId: 'row42' } })
    expect((await memory.findById(info.id))?.algorithm).toBe(`legacy-${algorithm}`)
    expect(await keyward.verify('sk_live_row42.wrongSecret0123456789')).toMatchObject({ code: 'invalid' })
    expect((await memory.findById(info.id))?.algorithm).toBe(`legacy-${algorithm}`)
    expect(await keyward.verify(key)).toMatchObject({ ok: true, key: { id: info.id } })
    await expect.poll(async () => (await memory.findById(info.id))?.algorithm).toBe('hmac-sha256')
    expect((await memory.findById(info.id))?.legacyHash).toBeNull()
    expect((await slowSetup(memory).verify(key)).ok).toBe(true)
  })

  it('refuses a swapped hash string: someone who writes a row cannot bring a hash of their own key', async () => {
    const memory = new MemoryKeyStore()
    const keyward = slowSetup(memory)
    const { info } = await keyward.import({
      name: 'slow',
      digest: { algorithm: 'scrypt', value: scryptPhc('sk_live_row7.original'), lookupId: 'row7' },
    })
    await memory.update(info.id, { legacyHash: scryptPhc('sk_live_row7.attacker') })
    expect(await slowSetup(memory).verify('sk_live_row7.attacker')).toMatchObject({ ok: false, code: 'invalid' })
  })

  it('refuses what it could not verify later, before writing', async () => {
    const memory = new MemoryKeyStore()
    const keyward = slowSetup(memory)
    const value = scryptPhc('sk_live_row1.x')
    const noLookup = createKeyward({ prefix: 'acme_live', store: memory, pepper: PEPPER, legacy: { prefixes: ['sk_live_'], slowHashes } })
    await expect(noLookup.import({ name: 'x', digest: { algorithm: 'scrypt', value, lookupId: 'row1' } })).rejects.toMatchObject({
      field: 'digest.lookupId',
    })
    await expect(keyward.import({ name: 'x', digest: { algorithm: 'scrypt', value } })).rejects.toMatchObject({ field: 'digest.lookupId' })
    const bcryptHash = `$2b$10$${'a'.repeat(53)}`
    await expect(keyward.import({ name: 'x', digest: { algorithm: 'bcrypt', value: bcryptHash, lookupId: 'row1' } })).rejects.toMatchObject(
      {
        field: 'digest.algorithm',
      },
    )
    const tooCostly = value.replace('ln=10', 'ln=24')
    await expect(keyward.import({ name: 'x', digest: { algorithm: 'scrypt', value: tooCostly, lookupId: 'row1' } })).rejects.toMatchObject({
      field: 'digest.value',
    })
    expect(memory.size).toBe(0)
  })

  it('without @keyward/core/slow-hashes: refuses argon2id, scrypt and PBKDF2 before writing, and verifies such a key closed', async () => {
    const memory = new MemoryKeyStore()
    const key = 'sk_live_row9.s3cretPartOfTheKey0123456789'
    const { info } = await slowSetup(memory).import({
      name: 'slow',
      digest: { algorithm: 'scrypt', value: scryptPhc(key), lookupId: 'row9' },
    })
    const events: KeywardEvent[] = []
    const without = createKeyward({
      prefix: 'acme_live',
      store: memory,
      pepper: PEPPER,
      throttle: false,
      lastUsed: false,
      logger: false,
      legacy: { prefixes: ['sk_live_'], lookupId },
      hooks: { onEvent: (event) => events.push(event) },
    })
    const argon2id = `$argon2id$v=19$m=1024,t=2,p=1$${'c2FsdHNhbHRzYWx0'}$${'A'.repeat(43)}`
    for (const [algorithm, value] of [
      ['argon2id', argon2id],
      ['scrypt', scryptPhc(key)],
      ['pbkdf2', pbkdf2Phc(key)],
    ] as const) {
      const input = { name: 'x', digest: { algorithm, value, lookupId: 'row10' } }
      await expect(without.import(input)).rejects.toThrow(
        `digest.algorithm: ${algorithm} needs the slow hashes: import { slowHashes } from '@keyward/core/slow-hashes'`,
      )
      expect((await without.importMany([input])).failed.map(({ error }) => error.code)).toEqual(['invalid_input'])
    }
    expect(memory.size).toBe(1)
    // The key is right; this instance cannot check it: a 503, never ok, and the event says which entry it lacks.
    expect(await without.verify(key)).toMatchObject({ ok: false, code: 'store_unavailable' })
    expect(events.find((event) => event.type === 'store.error')).toMatchObject({
      operation: 'verify',
      keyId: info.id,
      cause: expect.stringContaining("import { slowHashes } from '@keyward/core/slow-hashes'"),
    })
    expect((await memory.findById(info.id))?.algorithm).toBe('legacy-scrypt')
    expect(() => createKeyward({ prefix: 'acme_live', store: memory, legacy: { prefixes: ['sk_'], slowHashes: {} as never } })).toThrow(
      /legacy.slowHashes must be the slowHashes of '@keyward\/core\/slow-hashes'/,
    )
    expect((await slowSetup(memory).verify(key)).ok).toBe(true)
  })
  it('without legacy.bcrypt: verifies a key imported as bcrypt closed (503, not a wrong key), and ok once the compare is passed', async () => {
    const memory = new MemoryKeyStore()
    const key = 'sk_live_row11.s3cretPartOfTheKey0123456789'
    const hash = `$2b$10$${'B'.repeat(53)}`
    // The application's compare (bcryptjs.compare in production); this one knows the one key and hash.
    const bcrypt = (candidate: string, stored: string) => candidate === key && stored === hash
    const make = (withCompare: boolean, events: KeywardEvent[] = []) =>
      createKeyward({
        prefix: 'acme_live',
        store: memory,
        pepper: PEPPER,
        throttle: false,
        lastUsed: false,
        logger: false,
        legacy: { prefixes: ['sk_live_'], lookupId, ...(withCompare && { bcrypt }) },
        hooks: { onEvent: (event) => events.push(event) },
      })
    await expect(make(false).import({ name: 'x', digest: { algorithm: 'bcrypt', value: hash, lookupId: 'row11' } })).rejects.toThrow(
      'bcrypt needs its compare: pass createKeyward({ legacy: { bcrypt:',
    )
    expect(memory.size).toBe(0)
    const { info } = await make(true).import({ name: 'bcrypt', digest: { algorithm: 'bcrypt', value: hash, lookupId: 'row11' } })
    const events: KeywardEvent[] = []
    expect(await make(false, events).verify(key)).toMatchObject({ ok: false, code: 'store_unavailable' })
    expect(events.find((event) => event.type === 'store.error')).toMatchObject({
      keyId: info.id,
      cause: expect.stringContaining('legacy: { bcrypt:'),
    })
    expect((await memory.findById(info.id))?.algorithm).toBe('legacy-bcrypt')
    expect(await make(true).verify('sk_live_row11.wrongPartOfTheKey0123456789')).toMatchObject({ ok: false, code: 'invalid' })
    expect((await make(true).verify(key)).ok).toBe(true)
  })
})

describe('keyward.importMany', () => {
  it('imports a batch in one store write, reports refused inputs by index, and skips what a re-run finds already there', async () => {
    const { store, memory, calls } = countingStore()
    const keyward = setup(store)
    const keys = Array.from({ length: 300 }, (_, i) => `ba_batch${String(i).padStart(4, '0')}secretpart`)
    const inputs = keys.map((key, i) => ({
      name: `key ${i}`,
      digest: { algorithm: 'sha256-base64url' as const, value: sha256(key, 'base64url') },
    }))
    inputs.splice(7, 0, { name: 'bad', digest: { algorithm: 'sha256-base64url' as const, value: 'not a digest' } })
    delete calls.subscribe
    const first = await keyward.importMany(inputs, { actor: { id: 'cli:ops' } })
    expect(first.imported).toHaveLength(300)
    expect(first.duplicates).toEqual([])
    expect(first.failed.map(({ index, error }) => [index, error.code])).toEqual([[7, 'invalid_input']])
    expect(calls).toEqual({ insertMany: 1 })
    expect(memory.size).toBe(300)
    const again = await keyward.importMany(inputs)
    expect(again.imported).toHaveLength(0)
    expect(again.duplicates).toHaveLength(300)
    expect((await keyward.verify(keys[123]!)).ok).toBe(true)
    const { items } = await keyward.auditLog({ actorId: 'cli:ops', limit: 5 })
    expect(items[0]).toMatchObject({ action: 'key.imported' })
    await expect(keyward.importMany(Array.from({ length: 1001 }, () => inputs[0]!))).rejects.toBeInstanceOf(InvalidInputError)
  })
})
