import fc from 'fast-check'
import ipaddr from 'ipaddr.js'
import { describe, expect, it } from 'vitest'
import { InvalidInputError } from '../src/errors.js'
import { formatAddress, parseAddress } from '../src/ip/address.js'
import { compileAllowList, validateAllowList } from '../src/ip/index.js'
import { anyAddress, cidr, oracleAllows, rfc, oracleValue, referenceIntervals, sourceNear, toBigint, v4Text, v4Value } from './ip-oracle.js'

// Property runs take seconds on a loaded 2-core machine.
describe('parseAddress against ipaddr.js', { timeout: 60_000 }, () => {
  it('reads every address as ipaddr.js does, IPv4 in the mapped space', () => {
    fc.assert(
      fc.property(anyAddress, (text) => {
        const words = parseAddress(text)
        expect(words).not.toBeNull()
        expect(toBigint(words!)).toBe(oracleValue(text))
      }),
      { numRuns: 2000 },
    )
  })

  it('round-trips: the canonical text is RFC 5952 (mapped addresses as IPv4) and parses back to the same address', () => {
    fc.assert(
      fc.property(anyAddress, (text) => {
        const words = parseAddress(text)!
        const canonical = formatAddress(words)
        const oracle = ipaddr.process(rfc(text)).toString()
        expect(canonical).toBe(oracle.includes(':') ? (ipaddr.parse(oracle) as ipaddr.IPv6).toRFC5952String() : oracle)
        expect(parseAddress(canonical)).toEqual(words)
      }),
      { numRuns: 2000 },
    )
  })

  it('refuses what ipaddr.js does not take as a four-part decimal (hex, octal, short forms)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4Extended(), fc.ipV4()), (text) => {
        expect(parseAddress(text) !== null).toBe(ipaddr.IPv4.isValidFourPartDecimal(text))
      }),
      { numRuns: 2000 },
    )
  })

  it('agrees with ipaddr.js on random strings of address characters', () => {
    const chars = fc.constantFrom(...'0123456789abcdefABCDEF:::::....'.split(''))
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 24 }), (text) => {
        // ipaddr.js accepts leading zeros in an IPv6's IPv4 tail (::1.02.3.4); the matcher refuses them like a bare IPv4.
        const tail = text.slice(text.lastIndexOf(':') + 1)
        const oracle =
          ipaddr.IPv4.isValidFourPartDecimal(text) ||
          (ipaddr.IPv6.isValid(text) && (!tail.includes('.') || ipaddr.IPv4.isValidFourPartDecimal(tail)))
        expect(parseAddress(text) !== null).toBe(oracle)
        if (oracle) expect(toBigint(parseAddress(text)!)).toBe(oracleValue(text))
      }),
      { numRuns: 10000 },
    )
  })

  it('parses edge addresses and refuses malformed ones', () => {
    expect(parseAddress('::')).toEqual([0, 0, 0, 0])
    expect(parseAddress('::1')).toEqual([0, 0, 0, 1])
    expect(parseAddress('0.0.0.0')).toEqual([0, 0, 0xffff, 0])
    expect(parseAddress('255.255.255.255')).toEqual([0, 0, 0xffff, 0xffffffff])
    expect(parseAddress('::ffff:1.2.3.4')).toEqual(parseAddress('1.2.3.4'))
    expect(parseAddress('::FFFF:102:304')).toEqual(parseAddress('1.2.3.4'))
    expect(parseAddress('64:ff9b::1.2.3.4')).toEqual([0x0064ff9b, 0, 0, 0x01020304])
    expect(parseAddress('::1.2.3.4')).toEqual([0, 0, 0, 0x01020304]) // IPv4-compatible, not mapped (RFC 4291 §2.5.5.1)
    expect(parseAddress('fe80::1%eth0')).toBeNull()
    expect(parseAddress('fe80::1%eth0', { stripZone: true })).toEqual(parseAddress('fe80::1'))
    expect(parseAddress('1.2.3.4%eth0', { stripZone: true })).toBeNull()
    expect(parseAddress('fe80::1%', { stripZone: true })).toBeNull()
    const malformed = [
      '',
      ' ',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1.2.3.04',
      '::ffff::1',
      '1::2::3',
      ':::',
      ':1',
      '1:',
      '1:2:3:4:5:6:7:8:9',
    ]
    malformed.push(
      '1:2:3:4:5:6:7::8',
      '12345::',
      'g::1',
      '[::1]',
      ' 1.2.3.4',
      '1.2.3.4 ',
      '::1.2.3',
      '1:2:3:4:5:6:7:1.2.3.4',
      '::1.2.3.4:5',
    )
    for (const text of malformed) expect(parseAddress(text), text).toBeNull()
  })
})

describe('compileAllowList against ipaddr.js', { timeout: 60_000 }, () => {
  it('allows exactly the sources some entry matches', () => {
    const listAndSources = fc
      .array(cidr, { minLength: 1, maxLength: 20 })
      .chain((entries) =>
        fc.tuple(fc.constant(entries), fc.array(fc.oneof(sourceNear(entries), anyAddress), { minLength: 1, maxLength: 10 })),
      )
    fc.assert(
      fc.property(listAndSources, ([entries, sources]) => {
        const list = compileAllowList(entries)
        for (const source of sources) expect(list.allows(source), `${source} in ${entries.join(' ')}`).toBe(oracleAllows(entries, source))
      }),
      { numRuns: 1000 },
    )
  })

  it('merges overlapping and adjacent ranges into as many intervals as a reference merge', () => {
    const near = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: 32 })).map(([n, bits]) => `10.0.${n}.0/${bits}`)
    fc.assert(
      fc.property(fc.array(fc.oneof(cidr, near), { minLength: 1, maxLength: 40 }), (entries) => {
        expect(compileAllowList(entries).intervals).toBe(referenceIntervals(entries))
      }),
      { numRuns: 1000 },
    )
  })

  it('treats an IPv4 source and its IPv4-mapped IPv6 form alike', () => {
    fc.assert(
      fc.property(fc.array(cidr, { minLength: 1, maxLength: 10 }), v4Value, (entries, value) => {
        const list = compileAllowList(entries)
        expect(list.allows(`::ffff:${v4Text(value)}`)).toBe(list.allows(v4Text(value)))
        expect(list.allows(`::ffff:${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`)).toBe(list.allows(v4Text(value)))
      }),
    )
  })

  it('handles edge prefixes, mapped entries and sources that are not addresses', () => {
    expect(compileAllowList(['0.0.0.0/0']).allows('198.51.100.1')).toBe(true)
    expect(compileAllowList(['0.0.0.0/0']).allows('2001:db8::1')).toBe(false)
    expect(compileAllowList(['::/0']).allows('198.51.100.1')).toBe(true) // every address, IPv4 included
    expect(compileAllowList(['::/0']).allows('::')).toBe(true)
    expect(compileAllowList(['::/0']).allows('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true)
    const host = compileAllowList(['203.0.113.7/32'])
    expect([host.allows('203.0.113.7'), host.allows('203.0.113.6'), host.allows('203.0.113.8')]).toEqual([true, false, false])
    expect(compileAllowList(['::1/128']).allows('::1')).toBe(true)
    expect(compileAllowList(['::1/128']).allows('::2')).toBe(false)
    expect(compileAllowList(['::1']).allows('127.0.0.1')).toBe(false)
    expect(compileAllowList(['::ffff:203.0.113.0/120']).allows('203.0.113.255')).toBe(true)
    expect(compileAllowList(['203.0.113.0/24']).allows('::ffff:203.0.113.9')).toBe(true)
    expect(compileAllowList(['10.0.0.1/8']).allows('10.255.0.1')).toBe(true) // host bits are cleared
    expect(compileAllowList(['fe80::/10']).allows('fe80::1%eth0')).toBe(true) // a source's zone id is ignored
    const list = compileAllowList(['203.0.113.0/24'])
    for (const source of [undefined, '', 'localhost', '[::ffff:203.0.113.7]', '203.0.113.7:443', ' 203.0.113.7', '203.0.113.7/32'])
      expect(list.allows(source), String(source)).toBe(false)
    expect(compileAllowList([]).allows('203.0.113.7')).toBe(false)
  })

  it('merges into the fewest intervals, across word boundaries and up to the whole space', () => {
    expect(compileAllowList(['10.0.0.0/8', '11.0.0.0/8', '10.1.0.0/16']).intervals).toBe(1)
    expect(compileAllowList(['::/1', '8000::/1']).intervals).toBe(1)
    expect(compileAllowList(['::ffff:ffff:ffff:ffff', '0:0:0:1::']).intervals).toBe(1) // ::ffff:ffff:ffff:ffff + 1 carries into word 1
    expect(compileAllowList(['::ffff:ffff:ffff:fffe', '0:0:0:1::']).intervals).toBe(2)
    expect(compileAllowList(['0.0.0.0/0', '::/0', '1.2.3.4']).intervals).toBe(1)
    expect(compileAllowList(['10.0.0.0/24', '10.0.2.0/24']).intervals).toBe(2)
  })

  it('refuses a bad entry with InvalidInputError naming its index, without echoing it', () => {
    const bad = [
      '2001:db8::/129',
      '1.2.3.4/33',
      '1.2.3',
      '',
      ' ',
      'fe80::1%eth0',
      '[::1]',
      '1.2.3.4/',
      '1.2.3.4/08',
      '1.2.3.4/-1',
      'secret_key_0123',
    ]
    for (const entry of bad) {
      const error = catchError(() => compileAllowList(['10.0.0.0/8', entry]))
      expect(error, entry).toBeInstanceOf(InvalidInputError)
      expect((error as InvalidInputError).field).toBe('allowedIps[1]')
      if (entry.trim().length > 0) expect((error as Error).message).not.toContain(entry)
    }
    expect(catchError(() => compileAllowList(['1.2.3.4/33']))?.message).toMatch(/0–32/)
    expect(catchError(() => compileAllowList(['::/129']))?.message).toMatch(/0–128/)
  })
})

describe('validateAllowList', { timeout: 60_000 }, () => {
  it('returns canonical, deduplicated entries that allow exactly what the input allowed', () => {
    fc.assert(
      fc.property(fc.array(cidr, { maxLength: 20 }), fc.array(anyAddress, { minLength: 1, maxLength: 10 }), (entries, sources) => {
        const normalized = validateAllowList(entries, 'allowedIps')
        expect(validateAllowList(normalized, 'allowedIps')).toEqual(normalized)
        expect(new Set(normalized).size).toBe(normalized.length)
        const before = compileAllowList(entries)
        const after = compileAllowList(normalized)
        for (const source of sources) expect(after.allows(source)).toBe(before.allows(source))
      }),
      { numRuns: 500 },
    )
  })

  it('writes entries canonically', () => {
    const input = ['2001:DB8:0:0::/32', '::ffff:10.0.0.1', '10.0.0.1/8', '203.0.113.7/32', '::1/128', '::ffff:0:0/96', '10.0.0.0/8', '::/0']
    expect(validateAllowList(input, 'allowedIps')).toEqual([
      '2001:db8::/32',
      '10.0.0.1',
      '10.0.0.0/8',
      '203.0.113.7',
      '::1',
      '0.0.0.0/0',
      '::/0',
    ])
  })

  it('refuses what is not an array of at most 1,000 short address strings', () => {
    const field = (entries: unknown) => (catchError(() => validateAllowList(entries, 'owner.allowedIps')) as InvalidInputError).field
    expect(field('10.0.0.0/8')).toBe('owner.allowedIps')
    expect(field(Array.from({ length: 1001 }, (_, i) => v4Text(i)))).toBe('owner.allowedIps')
    expect(field(['10.0.0.0/8', 42])).toBe('owner.allowedIps[1]')
    expect(field(['10.0.0.0/8', `${'0:'.repeat(31)}0`])).toBe('owner.allowedIps[1]')
    expect(field(['10.0.0.0/8', '256.0.0.0'])).toBe('owner.allowedIps[1]')
    expect(
      validateAllowList(
        Array.from({ length: 1000 }, (_, i) => v4Text(i * 4096)),
        'allowedIps',
      ),
    ).toHaveLength(1000)
    expect(validateAllowList([], 'allowedIps')).toEqual([])
  })
})

function catchError(run: () => unknown): Error | undefined {
  try {
    run()
  } catch (error) {
    return error as Error
  }
  return undefined
}
