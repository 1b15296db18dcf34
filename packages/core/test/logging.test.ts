import { afterEach, describe, expect, it } from 'vitest'
import { createKeyward, escapeLogValue, type LogEntry, MemoryKeyStore, setDefaultLogger } from '../src/index.js'
import { PEPPER } from './helpers.js'

afterEach(() => setDefaultLogger(null))

describe('logging', () => {
  it('logs one escaped line per event, never a key, digest or pepper', async () => {
    const lines: LogEntry[] = []
    const store = new MemoryKeyStore()
    const keyward = createKeyward({ prefix: 'acme_live', store, pepper: PEPPER, logger: (entry) => lines.push(entry) })
    const { key, info } = await keyward.create({ name: 'CRM', ownerId: 'team-1' })
    await keyward.verify(key, { source: '203.0.113.7' })
    const other = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore() })
    const unknown = (await other.create({ name: 'x' })).key
    await keyward.verify(unknown, { source: 'evil\r\nSet-Cookie: a=b' })
    await keyward.revoke(info.id)
    expect(lines.map((l) => l.message)).toEqual([
      'keyward key.created',
      'keyward key.verified',
      'keyward key.verify_failed',
      'keyward key.revoked',
    ])
    expect(lines[0]!.fields).toEqual({ keyId: info.id, ownerId: 'team-1' })
    expect(lines[2]!.fields).toMatchObject({ code: 'invalid', source: 'evil\\r\\nSet-Cookie: a=b' })
    const dump = JSON.stringify(lines)
    expect(dump).not.toMatch(/[\r\n]/)
    expect(dump).not.toContain(key.slice(-38))
    expect(dump).not.toContain(unknown.slice(-38))
    expect(dump).not.toContain((await store.findById(info.id))!.digest)
    expect(dump).not.toContain(PEPPER)
    await keyward.close()
    await other.close()
  })

  it('uses the default logger for instances without their own, and survives a throwing one', async () => {
    const lines: LogEntry[] = []
    setDefaultLogger((entry) => lines.push(entry))
    const keyward = createKeyward({ prefix: 'acme', store: new MemoryKeyStore() })
    setDefaultLogger(() => {
      throw new Error('log sink down')
    })
    const failing = createKeyward({ prefix: 'acme', store: new MemoryKeyStore() })
    const { key } = await keyward.create({ name: 'a' })
    expect((await keyward.verify(key)).ok).toBe(true)
    expect(lines.map((l) => l.message)).toEqual(['keyward key.created', 'keyward key.verified'])
    const created = await failing.create({ name: 'b' })
    expect((await failing.verify(created.key)).ok).toBe(true)
    expect(() => setDefaultLogger('console' as never)).toThrow(TypeError)
  })

  it('escapes control characters, quotes and backslashes, and bounds the length', () => {
    expect(escapeLogValue('a\r\nb\t"c"\\\u0000\u2028')).toBe('a\\r\\nb\\u0009\\"c\\"\\\\\\u0000\\u2028')
    expect(escapeLogValue('x'.repeat(500))).toHaveLength(201)
  })
})
