/**
 * ipaddr.js as the oracle of the IP allow-list tests, with fast-check arbitraries of addresses and ranges.
 */
import fc from 'fast-check'
import ipaddr from 'ipaddr.js'

// ipaddr.js is the oracle. It keeps IPv4 and IPv6 apart, so both sides go to the 128-bit space:
// an IPv4 address becomes ::ffff:a.b.c.d and an IPv4 /p becomes /96+p.
const ALL = (1n << 128n) - 1n

/**
 * ipaddr.js reads the deprecated IPv4-compatible `::a.b.c.d` as IPv4-mapped (::ffff:a.b.c.d); RFC 4291
 * §2.5.5.1 (and the matcher) read it as ::a.b.c.d, which `0::a.b.c.d` makes ipaddr.js do too.
 */
export const rfc = (text: string) => text.replace(/^::(\d+\.)/, '0::$1')

export function oracleValue(text: string): bigint {
  const parsed = ipaddr.parse(rfc(text))
  const v6 = parsed.kind() === 'ipv4' ? (parsed as ipaddr.IPv4).toIPv4MappedAddress() : (parsed as ipaddr.IPv6)
  return v6.toByteArray().reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n)
}

export function oracleAllows(entries: string[], source: string): boolean {
  const parsed = ipaddr.parse(rfc(source))
  const address = parsed.kind() === 'ipv4' ? (parsed as ipaddr.IPv4).toIPv4MappedAddress() : (parsed as ipaddr.IPv6)
  return entries.some((entry) => {
    const [network, bits] = entry.includes('/') ? ipaddr.parseCIDR(entry) : [ipaddr.parse(entry), entry.includes(':') ? 128 : 32]
    if (network.kind() === 'ipv4') return address.match((network as ipaddr.IPv4).toIPv4MappedAddress(), bits + 96)
    return address.match(network as ipaddr.IPv6, bits)
  })
}

export const toBigint = (words: readonly number[]) => words.reduce((acc, w) => (acc << 32n) | BigInt(w), 0n)
const v6Text = (value: bigint) =>
  ipaddr.fromByteArray(Array.from({ length: 16 }, (_, i) => Number((value >> BigInt(8 * (15 - i))) & 0xffn))).toString()
export const v4Text = (value: number) => [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.')

export const v4Value = fc.integer({ min: 0, max: 0xffffffff })
const v6Value = fc.bigInt({ min: 0n, max: ALL })
/** IPv6 texts of one value in the spellings people and fast-check write. */
const v6Spelling = fc.tuple(v6Value, fc.constantFrom('rfc5952', 'normalized', 'fixed', 'upper')).map(([value, form]) => {
  const address = ipaddr.parse(v6Text(value)) as ipaddr.IPv6
  if (form === 'normalized') return address.toNormalizedString()
  if (form === 'fixed') return address.toNormalizedString().replace(/[0-9a-f]+/g, (group) => group.padStart(4, '0'))
  if (form === 'upper') return address.toRFC5952String().toUpperCase()
  return address.toRFC5952String()
})
export const anyAddress = fc.oneof(v4Value.map(v4Text), v6Spelling, fc.ipV6(), fc.ipV4())

/** A CIDR entry in the 128-bit space and its text; IPv4 half the time, so mapped ranges are common. */
export const cidr = fc.oneof(
  fc.tuple(v4Value, fc.integer({ min: 0, max: 32 })).map(([value, bits]) => `${v4Text(value)}/${bits}`),
  fc.tuple(v6Value, fc.integer({ min: 0, max: 128 })).map(([value, bits]) => `${v6Text(value)}/${bits}`),
  v4Value.map(v4Text),
)

/** A source near an entry (its network with one bit flipped and the bits after it random), so matches and misses both occur. */
export function sourceNear(entries: string[]) {
  return fc.tuple(fc.nat(entries.length - 1), fc.integer({ min: 0, max: 127 }), v6Value, fc.boolean()).map(([i, bit, noise, asV4]) => {
    const base = oracleValue(entries[i]!.split('/')[0]!)
    const below = (1n << BigInt(bit)) - 1n
    const value = ((base ^ (1n << BigInt(bit))) & ~below) | (noise & below)
    if (asV4 && value >> 32n === 0xffffn) return v4Text(Number(value & 0xffffffffn))
    return v6Text(value)
  })
}

/** The reference merge of entries into disjoint intervals, in bigints. */
export function referenceIntervals(entries: string[]): number {
  const ranges = entries.map((entry) => {
    const [text, bits] = entry.split('/')
    const value = oracleValue(text!)
    const prefix = bits === undefined ? 128 : Number(bits) + (text!.includes(':') ? 0 : 96)
    const host = (1n << BigInt(128 - prefix)) - 1n
    return [value & ~host, value | host] as const
  })
  ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  let count = 0
  let end = -2n
  for (const [start, last] of ranges) {
    if (start > end + 1n) count++
    if (last > end) end = last
  }
  return count
}
