import { type Address, formatAddress, isMapped, parseInto } from './address.js'

/** One allow-list entry: an address, or a CIDR range with its host bits cleared. */
export type Range = {
  /** First address of the range (host bits cleared). */
  readonly first: Address
  /** Last address of the range (host bits set). */
  readonly last: Address
  /** Prefix length in the 128-bit space: an IPv4 `/p` is `/96+p`. */
  readonly prefix: number
  /** Canonical text: `203.0.113.0/24`, `2001:db8::/32`, or an address alone for a full-length prefix. */
  readonly text: string
}

/** An entry that is not an address or CIDR range, and why; the entry itself is never echoed. */
export type RangeRefusal = { readonly reason: string }

const EXAMPLE = 'like 203.0.113.7, 203.0.113.0/24 or 2001:db8::/32'

/**
 * Parses an allow-list entry: an IPv4/IPv6 address or a CIDR range. Host bits set in a range
 * (`10.0.0.1/8`) are cleared, as most tools do. An IPv4 prefix runs 0–32 and maps to /96–/128 of
 * the IPv4-mapped space. Zone ids, brackets and spaces are refused.
 *
 * @example
 * parseRange('10.0.0.1/8').text // '10.0.0.0/8'
 * parseRange('2001:DB8::/32')   // { prefix: 32, text: '2001:db8::/32', … }
 */
export function parseRange(entry: string): Range | RangeRefusal {
  if (entry.length === 0) return { reason: `is empty; write an address or CIDR range, ${EXAMPLE}` }
  if (/\s/.test(entry)) return { reason: 'must not contain spaces' }
  if (entry.includes('%')) return { reason: 'has a zone id (%…), which names one machine’s interface, not a network' }
  if (entry.startsWith('[')) return { reason: 'must not be in brackets: write 2001:db8::1, not [2001:db8::1]' }
  const slash = entry.indexOf('/')
  const end = slash < 0 ? entry.length : slash
  const words = new Uint32Array(4) // the type allows() parses into, so parseInto sees one shape
  if (!parseInto(entry, 0, end, words, false)) return { reason: `is not an IPv4 or IPv6 address or CIDR range, ${EXAMPLE}` }
  const v4 = !entry.slice(0, end).includes(':')
  const max = v4 ? 32 : 128
  let prefix = max
  if (slash >= 0) {
    const digits = entry.slice(slash + 1)
    if (!/^(0|[1-9][0-9]{0,2})$/.test(digits) || Number(digits) > max)
      return { reason: `has a prefix length that is not 0–${max}, as ${v4 ? 'IPv4' : 'IPv6'} allows` }
    prefix = Number(digits)
  }
  if (v4) prefix += 96
  const first = Array.from(words, (w, k) => (w & maskWord(prefix, k)) >>> 0) as unknown as Address
  const last = Array.from(words, (w, k) => (w | ~maskWord(prefix, k)) >>> 0) as unknown as Address
  return { first, last, prefix, text: formatRange(first, prefix) }
}

/** Word `k` of the netmask of a 128-bit `/prefix`. */
function maskWord(prefix: number, k: number): number {
  const bits = Math.min(32, Math.max(0, prefix - 32 * k))
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
}

/** Canonical text of a range: IPv4 form for the mapped space at /96 or longer, the address alone at full length. */
function formatRange(first: Address, prefix: number): string {
  const address = formatAddress(first)
  if (prefix === 128) return address
  // Below /96 the mask clears part of the ffff word, so a mapped first address means a prefix of 96 or more.
  return `${address}/${isMapped(first) ? prefix - 96 : prefix}`
}

/** True when `parsed` is a refusal. */
export function isRangeRefusal(parsed: Range | RangeRefusal): parsed is RangeRefusal {
  return 'reason' in parsed
}
