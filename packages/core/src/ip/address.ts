/**
 * IP address parsing without `node:net`, for browsers and Workers as well as Node.
 *
 * Every address is a 128-bit number held as four unsigned 32-bit words, most significant first.
 * IPv4 `a.b.c.d` is the IPv4-mapped IPv6 address `::ffff:a.b.c.d`, so an IPv4 source matches an
 * IPv4-mapped entry and the other way round (Node reports `::ffff:203.0.113.7` on dual-stack sockets).
 */

/** A 128-bit address as four unsigned 32-bit words, most significant first. */
export type Address = readonly [number, number, number, number]

/** Four words to read: an {@link Address} or a `Uint32Array(4)`. */
export type Words = { readonly [index: number]: number }

/** Options of {@link parseAddress}. */
export type ParseOptions = {
  /**
   * Drop an IPv6 zone id (`fe80::1%eth0` → `fe80::1`), as for a request's source. Configured
   * entries refuse one: a zone names an interface of one machine, not a network.
   * @default false
   */
  stripZone?: boolean
}

const DOT = 46
const COLON = 58
const ZERO = 48
/** The mapped prefix `::ffff:0:0/96`, word 2 of every IPv4 address. */
const MAPPED_WORD = 0xffff

/**
 * Parses `text` as an IPv4 address or an IPv6 address.
 *
 * IPv4 must be a dotted quad of decimals 0–255 without leading zeros (`010.0.0.1` is refused, as
 * it means 8.0.0.1 to some parsers). IPv6 takes `::` compression, case-insensitive hex and an
 * IPv4 tail (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`). Brackets and surrounding spaces are refused.
 *
 * @returns four 32-bit words, or `null` when `text` is not an address.
 * @example
 * parseAddress('203.0.113.7')        // [0, 0, 0xffff, 0xcb007107]
 * parseAddress('::ffff:203.0.113.7') // the same
 * parseAddress('fe80::1%eth0')       // null; with { stripZone: true } the address of fe80::1
 */
export function parseAddress(text: string, options: ParseOptions = {}): Address | null {
  const out = new Uint32Array(4)
  if (!parseInto(text, 0, text.length, out, options.stripZone === true)) return null
  return [out[0]!, out[1]!, out[2]!, out[3]!]
}

/**
 * Parses `text[start, end)` into `out` (four words); false when it is not an address. Writes
 * nothing on failure that a caller may rely on.
 */
export function parseInto(text: string, start: number, end: number, out: Uint32Array, stripZone: boolean): boolean {
  if (end - start > 64) return false // the longest address with a zone a source may carry
  // A dot before any colon is IPv4 (an IPv6's IPv4 tail always follows a colon).
  let i = start
  while (i < end) {
    const c = text.charCodeAt(i)
    if (c === COLON || c === DOT) break
    i++
  }
  if (i < end && text.charCodeAt(i) === COLON) {
    const zone = text.indexOf('%', i)
    if (zone >= 0 && zone < end) {
      if (!stripZone || zone === end - 1) return false
      end = zone
    }
    return parseIPv6(text, start, end, out)
  }
  const v4 = parseIPv4(text, start, end)
  if (v4 < 0) return false
  out[0] = 0
  out[1] = 0
  out[2] = MAPPED_WORD
  out[3] = v4
  return true
}

/** A dotted quad in `text[start, end)` as an unsigned 32-bit number, or -1. */
function parseIPv4(text: string, start: number, end: number): number {
  let value = 0
  let parts = 0
  let i = start
  while (parts < 4) {
    const first = i
    let octet = 0
    while (i < end && i - first < 4) {
      const d = text.charCodeAt(i) - ZERO
      if (d < 0 || d > 9) break
      octet = octet * 10 + d
      i++
    }
    const digits = i - first
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && text.charCodeAt(first) === ZERO)) return -1
    value = value * 256 + octet
    parts++
    if (parts < 4) {
      if (i >= end || text.charCodeAt(i) !== DOT) return -1
      i++
    }
  }
  return i === end ? value : -1
}

/** Value of a hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  const lower = c | 0x20
  if (lower >= 97 && lower <= 102) return lower - 87
  return -1
}

const groups = new Uint16Array(8)

/** IPv6 in `text[start, end)` into `out`; false when malformed. */
function parseIPv6(text: string, start: number, end: number, out: Uint32Array): boolean {
  let n = 0 // groups read
  let gap = -1 // groups before `::`, or -1 without one
  let i = start
  if (text.charCodeAt(i) === COLON) {
    if (text.charCodeAt(i + 1) !== COLON || i + 1 >= end) return false
    gap = 0
    i += 2
  }
  while (i < end) {
    let j = i
    let value = 0
    while (j < end && j - i < 5) {
      const h = hexValue(text.charCodeAt(j))
      if (h < 0) break
      value = value * 16 + h
      j++
    }
    if (j < end && text.charCodeAt(j) === DOT) {
      if (n > 6) return false
      const v4 = parseIPv4(text, i, end)
      if (v4 < 0) return false
      groups[n++] = v4 >>> 16
      groups[n++] = v4 & 0xffff
      break
    }
    if (j === i || j - i > 4 || n === 8) return false
    groups[n++] = value
    if (j === end) break
    if (text.charCodeAt(j) !== COLON) return false
    j++
    if (j < end && text.charCodeAt(j) === COLON) {
      if (gap >= 0) return false
      gap = n
      j++
    } else if (j === end) return false // a trailing single colon
    i = j
  }
  if (gap < 0 ? n !== 8 : n > 7) return false
  const fill = 8 - n
  for (let w = 0; w < 4; w++) {
    const hi = wordAt(2 * w, gap, fill)
    const lo = wordAt(2 * w + 1, gap, fill)
    out[w] = (hi * 0x10000 + lo) >>> 0
  }
  return true
}

/** Group `k` of the expanded address: the zeros of `::` sit after `gap` read groups. */
function wordAt(k: number, gap: number, fill: number): number {
  if (gap < 0 || k < gap) return groups[k]!
  if (k < gap + fill) return 0
  return groups[k - fill]!
}

/** True when `address` is an IPv4 address (IPv4-mapped IPv6). */
export function isMapped(address: Words): boolean {
  return address[0] === 0 && address[1] === 0 && address[2] === MAPPED_WORD
}

/**
 * The canonical text of an address: IPv4 (and IPv4-mapped IPv6) as a dotted quad, other IPv6 as
 * RFC 5952 says (lowercase, no leading zeros, the longest run of two or more zero groups as `::`).
 */
export function formatAddress(address: Words): string {
  if (isMapped(address)) {
    const v = address[3]!
    return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`
  }
  const g: number[] = []
  for (let w = 0; w < 4; w++) g.push(address[w]! >>> 16, address[w]! & 0xffff)
  let bestAt = -1
  let bestLength = 1
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++
      continue
    }
    let e = k
    while (e < 8 && g[e] === 0) e++
    if (e - k > bestLength) {
      bestAt = k
      bestLength = e - k
    }
    k = e
  }
  const hex = (from: number, to: number) =>
    g
      .slice(from, to)
      .map((x) => x.toString(16))
      .join(':')
  if (bestAt < 0) return hex(0, 8)
  return `${hex(0, bestAt)}::${hex(bestAt + bestLength, 8)}`
}
