/**
 * Client addresses: the one `verify` gets from an adapter (`clientAddress`, the whole address, for
 * `allowedIps`), and the one failed-attempt throttling counts (`throttlingSource`: IPv4 as itself,
 * IPv6 by its /64). Parsed by char codes, with no allocation for an address already in canonical
 * IPv4 form (the common case).
 */
import { formatAddress, parseAddress } from '../ip/address.js'

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
/** An IPv4 address already in canonical form (no leading zeros): the common case, kept as is. */
const CANONICAL_IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
/** Longest source kept when the framework's address is not an IP address at all. */
const MAX_OTHER_SOURCE = 100

function parseIpv4(text: string): number[] | null {
  const match = IPV4_RE.exec(text)
  if (!match) return null
  const octets = match.slice(1).map(Number)
  return octets.every((octet) => octet <= 255) ? octets : null
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48
  const lower = code | 0x20
  return lower >= 97 && lower <= 102 ? lower - 87 : -1
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped, dotted IPv4 tail allowed), or null. */
function parseIpv6(text: string): number[] | null {
  const zone = text.indexOf('%')
  const end = zone < 0 ? text.length : zone
  const groups: number[] = []
  let gap = -1 // where `::` stands, as an index into groups
  let i = 0
  if (text.charCodeAt(0) === 58 && text.charCodeAt(1) === 58) {
    gap = 0
    i = 2
  }
  while (i < end) {
    let j = i
    let value = 0
    for (let digit: number; j < end && j - i <= 4 && (digit = hexDigit(text.charCodeAt(j))) >= 0; j++) value = value * 16 + digit
    if (j < end && text.charCodeAt(j) === 46) {
      // A dotted IPv4 tail (`::ffff:203.0.113.7`) is the last two groups.
      const v4 = groups.length <= 6 ? parseIpv4(text.slice(i, end)) : null
      if (!v4) return null
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
      break
    }
    if (j === i || j - i > 4 || groups.length === 8) return null
    groups.push(value)
    if (j === end) break
    if (text.charCodeAt(j) !== 58) return null
    if (text.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return null
      gap = groups.length
      i = j + 2
    } else if ((i = j + 1) === end) return null
  }
  if (gap < 0) return groups.length === 8 ? groups : null
  if (groups.length > 7) return null
  groups.splice(gap, 0, ...new Array<number>(8 - groups.length).fill(0))
  return groups
}

/**
 * The throttling source for a client address: an IPv4 address as itself (an IPv4-mapped IPv6
 * address `::ffff:203.0.113.7` as `203.0.113.7`), an IPv6 address as its /64 network
 * (`2001:db8:1:2::/64`), since one host usually holds a whole /64 and could otherwise take a fresh
 * address for every guess. Anything else is kept as given, at most 100 characters.
 */
export function throttlingSource(address: string): string {
  if (CANONICAL_IPV4_RE.test(address)) return address
  const v4 = parseIpv4(address)
  if (v4) return v4.join('.')
  const v6 = address.includes(':') ? parseIpv6(address) : null
  if (!v6) return address.length > MAX_OTHER_SOURCE ? address.slice(0, MAX_OTHER_SOURCE) : address
  if (v6[0] === 0 && v6[1] === 0 && v6[2] === 0 && v6[3] === 0 && v6[4] === 0 && v6[5] === 0xffff)
    return `${v6[6]! >> 8}.${v6[6]! & 255}.${v6[7]! >> 8}.${v6[7]! & 255}`
  return `${v6
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`
}

/**
 * The client address as `verify` gets it, for `allowedIps` and failed-attempt throttling: an IPv4
 * address (also IPv4-mapped, `::ffff:203.0.113.7`) as a dotted quad, an IPv6 address in RFC 5952
 * form (zone id dropped), anything else as given, at most 100 characters. The whole address, not
 * its /64: an allow-list may name single IPv6 hosts; core throttles IPv6 by /64 itself.
 */
export function clientAddress(address: string): string {
  if (CANONICAL_IPV4_RE.test(address)) return address
  const parsed = parseAddress(address, { stripZone: true })
  if (parsed !== null) return formatAddress(parsed)
  return address.length > MAX_OTHER_SOURCE ? address.slice(0, MAX_OTHER_SOURCE) : address
}
