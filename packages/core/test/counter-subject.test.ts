import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { createKeyward, MemoryKeyStore } from '../src/index.js'
import { encodeBase62 } from '../src/lib/base62.js'
import { counterSubject, type Charge } from '../src/store/index.js'

/** A memory store that notes the name of every counter core asks it for. */
class NamingStore extends MemoryKeyStore {
  readonly names = new Set<string>()
  override charge(charges: Charge[], now: number) {
    for (const c of charges) if (c.type === 'counter') this.names.add(c.name)
    return super.charge(charges, now)
  }
  override incrementCounter(name: string, amount: number, windowMs: number, now: number) {
    this.names.add(name)
    return super.incrementCounter(name, amount, windowMs, now)
  }
}

describe('counterSubject', () => {
  it('maps every counter core names to the key or owner it belongs to, and the others to none', async () => {
    const store = new NamingStore()
    const keyward = createKeyward({
      prefix: 'acme_live',
      store,
      pepper: false,
      lastUsed: false,
      throttle: { perSource: { limit: 5, windowMs: 60_000 }, perKey: { limit: 5, windowMs: 60_000 } },
    })
    await keyward.owners.set('team:7', { rateLimits: [{ name: 'default', limit: 100, windowMs: 60_000 }] })
    const { key, info } = await keyward.create({
      name: 'k',
      ownerId: 'team:7',
      rateLimit: { limit: 10, windowMs: 60_000 },
      rateLimits: [{ name: 'tokens', limit: 1_000, windowMs: 60_000 }],
    })
    expect((await keyward.verify(key, { cost: { tokens: 5 } })).ok).toBe(true)
    // Same id, another secret with a valid checksum: a failed guess counted for the key id and the source.
    const body = `${key.split('_').slice(0, 3).join('_')}_${'Z'.repeat(32)}`
    const wrong = body + encodeBase62(crc32(body), 6)
    await keyward.verify(wrong, { source: '203.0.113.9' })
    await keyward.close()
    const subjects = Object.fromEntries([...store.names].sort().map((name) => [name, counterSubject(name)]))
    expect(subjects).toMatchObject({
      [`rate:${info.id}`]: { kind: 'key', id: info.id },
      [`rate:${info.id}:tokens`]: { kind: 'key', id: info.id },
      'owner:default:team:7': { kind: 'owner', id: 'team:7' },
    })
    expect(Object.keys(subjects).filter((name) => name.startsWith('fail:key:'))).toHaveLength(1)
    expect(Object.keys(subjects).filter((name) => name.startsWith('fail:source:'))).toHaveLength(1)
    for (const [name, subject] of Object.entries(subjects))
      if (name.startsWith('fail:key:')) expect(subject).toEqual({ kind: 'key', id: info.id })
      else if (name.startsWith('fail:')) expect(subject).toBeNull()
  })

  it('gives no subject to names of other shapes', () => {
    expect(counterSubject('conf:x:requests')).toBeNull()
    expect(counterSubject('rate:')).toBeNull()
    expect(counterSubject('owner:default')).toBeNull()
    expect(counterSubject('fail:source:203.0.113.9')).toBeNull()
  })
})
