import { createHash, createHmac } from 'node:crypto'
import { crc32 } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeyFormat } from '../src/format.js'
import { BASE62_ALPHABET, cryptoRandom, encodeBase62, randomBase62 } from '../src/lib/base62.js'
import { Digester } from '../src/lib/digest.js'
import vectors from './vectors.json' with { type: 'json' }

function lcgRandom(seed: number) {
  let state = seed
  return (n: number) => {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      state = (state * 1103515245 + 12345) >>> 0
      out[i] = state >>> 24
    }
    return out
  }
}

/** Random source for fast-check: the given bytes, then zeros. */
const bytesRandom = (bytes: Uint8Array) => {
  let offset = 0
  return (n: number) => {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = bytes[offset++ % bytes.length]! % 248
    return out
  }
}

const format = new KeyFormat({ prefix: 'acme_live' })

describe('known-answer vectors', () => {
  it.each(vectors.vectors)('$prefix seed $seed → exact key, checksum and digest', (v) => {
    const { key, id } = new KeyFormat({ prefix: v.prefix }).generate(lcgRandom(v.seed))
    expect(key).toBe(v.key)
    expect(id).toBe(v.id)
    // Independent checks: zlib's CRC-32 and node:crypto's SHA-256 / HMAC-SHA256.
    const body = key.slice(0, -6)
    expect(key.slice(-6)).toBe(encodeBase62(crc32(body), 6))
    expect(v.check).toBe(key.slice(-6))
    const expected = v.pepper ? createHmac('sha256', v.pepper).update(key).digest('hex') : createHash('sha256').update(key).digest('hex')
    expect(expected).toBe(v.digest)
    const digester = new Digester(v.pepper ? { id: 'p1', secret: new TextEncoder().encode(v.pepper) } : null)
    expect(digester.digestHex(key)).toBe(v.digest)
    expect(digester.algorithm).toBe(v.algorithm)
  })
})

describe('base62', () => {
  it('left-pads with 0 and encodes exactly', () => {
    expect(encodeBase62(0, 6)).toBe('000000')
    expect(encodeBase62(61, 6)).toBe('00000z')
    expect(encodeBase62(62, 6)).toBe('000010')
    expect(encodeBase62(0xffffffff, 6)).toBe('4gfFC3')
  })

  it('discards bytes of 248 and above instead of wrapping them (no modulo bias)', () => {
    const feed = [248, 255, 0, 250, 61, 62, 247]
    const random = (n: number) => Uint8Array.from(feed.splice(0, n))
    expect(randomBase62(4, random)).toBe('0z0z')
  })

  it('draws every character with equal frequency from a CSPRNG', () => {
    const counts = new Map<string, number>()
    for (let round = 0; round < 62; round++)
      for (const char of randomBase62(1000, cryptoRandom)) counts.set(char, (counts.get(char) ?? 0) + 1)
    expect(counts.size).toBe(62)
    // Expected 1000 each; a biased mapping (byte % 62 over 0..255) gives the first 8 chars ~1.23×.
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(850)
      expect(count).toBeLessThan(1150)
    }
  })
})

describe('KeyFormat', () => {
  it('mints keys of the documented shape', () => {
    const { key, id } = format.generate(cryptoRandom)
    expect(key).toMatch(/^acme_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/)
    expect(key.startsWith(`acme_live_${id}_`)).toBe(true)
    expect(key.length).toBe(format.keyLength)
    expect(format.parse(key)).toEqual({ prefix: 'acme_live', id, ownPrefix: true })
  })

  it('property: every generated key parses, for any prefix and randomness', () => {
    const prefixArb = fc
      .array(fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/), { minLength: 1, maxLength: 4 })
      .map((segments) => segments.join('_'))
    fc.assert(
      fc.property(prefixArb, fc.uint8Array({ minLength: 64, maxLength: 64 }), (prefix, bytes) => {
        const f = new KeyFormat({ prefix })
        const { key, id } = f.generate(bytesRandom(bytes))
        expect(f.parse(key)).toEqual({ prefix, id, ownPrefix: true })
        expect(f.looksLikeKey(key)).toBe(true)
        expect(f.pattern.test(key)).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('property: every single-character change fails the shape or the checksum', () => {
    const { key } = format.generate(cryptoRandom)
    const chars = `${BASE62_ALPHABET}_-. `
    fc.assert(
      fc.property(fc.nat(key.length - 1), fc.constantFrom(...chars), (index, char) => {
        fc.pre(key[index] !== char)
        const changed = key.slice(0, index) + char + key.slice(index + 1)
        expect(format.parse(changed)?.ownPrefix ?? false).toBe(false)
        expect(format.looksLikeKey(changed)).toBe(false)
      }),
      { numRuns: 3000 },
    )
    // Exhaustively too: all positions × all base62 characters.
    for (let i = 0; i < key.length; i++)
      for (const char of BASE62_ALPHABET)
        if (key[i] !== char) expect(format.looksLikeKey(key.slice(0, i) + char + key.slice(i + 1))).toBe(false)
  })

  it('rejects truncated and extended copies', () => {
    const { key } = format.generate(cryptoRandom)
    for (let cut = 1; cut < key.length; cut++) expect(format.parse(key.slice(0, cut))).toBeNull()
    expect(format.parse(`${key}a`)).toBeNull()
    expect(format.parse(` ${key}`)).toBeNull()
  })

  it('property: arbitrary strings never parse and never throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
        expect(format.parse(text)).toBeNull()
      }),
      { numRuns: 2000 },
    )
    for (const weird of ['', '\ud800', 'a'.repeat(1 << 20), '\u0000'.repeat(60), null, undefined, 42, {}])
      expect(format.parse(weird)).toBeNull()
  })

  it('parses from the right: a well-formed key of another prefix is recognised as foreign', () => {
    const other = new KeyFormat({ prefix: 'acme_test' }).generate(cryptoRandom)
    expect(format.parse(other.key)).toEqual({ prefix: 'acme_test', id: other.id, ownPrefix: false })
    expect(format.looksLikeKey(other.key)).toBe(false)
    const nested = new KeyFormat({ prefix: 'x_acme_live' }).generate(cryptoRandom)
    expect(format.parse(nested.key)?.ownPrefix).toBe(false)
  })

  it.each([
    ['', RangeError],
    ['Acme', TypeError],
    ['acme-live', TypeError],
    ['acme__live', TypeError],
    ['_acme', TypeError],
    ['acme_', TypeError],
    ['1acme', TypeError],
    ['a'.repeat(65), RangeError],
  ])('refuses the prefix %j with a clear error', (prefix, type) => {
    expect(() => new KeyFormat({ prefix })).toThrow(type)
  })

  it('refuses a secret below 128 bits', () => {
    expect(() => new KeyFormat({ prefix: 'acme', secretLength: 21 })).toThrow(/secretLength/)
    expect(new KeyFormat({ prefix: 'acme', secretLength: 22 }).secretLength).toBe(22)
  })
})

describe('pattern, looksLikeKey and redact', () => {
  const { key, id } = format.generate(cryptoRandom)

  it('finds keys inside text, on word boundaries, with a scanner-portable pattern', () => {
    expect(format.pattern.flags).toBe('')
    expect(format.pattern.source).not.toContain('(?<') // no look-behind: works in RE2 (gitleaks, GitHub)
    expect(`token=${key};`.match(format.pattern)?.[0]).toBe(key)
    expect(format.pattern.test(`x${key}`)).toBe(false)
    expect(format.pattern.test(`${key}0`)).toBe(false)
  })

  it('replaces every key in a string with its display form', () => {
    const other = format.generate(cryptoRandom).key
    const text = `Authorization: Bearer ${key}\nX-API-Key: ${other} and again ${key}`
    const redacted = format.redact(text)
    expect(redacted).toBe(
      `Authorization: Bearer acme_live_${id.slice(0, 4)}…${key.slice(-4)}\nX-API-Key: ${format.redactKey(other)} and again acme_live_${id.slice(0, 4)}…${key.slice(-4)}`,
    )
    expect(redacted).not.toContain(key.slice(10, 18))
    // A mistyped key (bad checksum) is still redacted: it is still mostly secret.
    const typo = key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a')
    expect(format.redact(typo)).toBe(format.redactKey(typo))
  })
})
