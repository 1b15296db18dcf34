/**
 * Client addresses: the one `verify` gets from an adapter (`clientAddress`, the whole address, for
 * `allowedIps`), and the one failed-attempt throttling counts (`throttlingSource`: IPv4 as itself,
 * IPv6 by its /64). Both parse with core's one IP parser (`ip/address.ts`), and allocate nothing for
 * an address already in canonical IPv4 form (the common case).
 */
import { type Address, formatAddress, isMapped, parseAddress } from '../ip/address.js'

/** An IPv4 address already in canonical form (no leading zeros): the common case, kept as is. */
const CANONICAL_IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
/** A dotted quad with leading zeros (`203.0.113.007`), which the parser refuses: throttling reads them as decimal. */
const PADDED_IPV4_RE = /^\d{1,3}(?:\.\d{1,3}){3}$/
/** Longest source kept when the framework's address is not an IP address at all. */
const MAX_OTHER_SOURCE = 100

function bounded(text: string): string {
  return text.length > MAX_OTHER_SOURCE ? text.slice(0, MAX_OTHER_SOURCE) : text
}

/**
 * The throttling source for a client address: an IPv4 address as itself (an IPv4-mapped IPv6
 * address `::ffff:203.0.113.7` as `203.0.113.7`), an IPv6 address as its /64 network
 * (`2001:db8:1:2::/64`), since one host usually holds a whole /64 and could otherwise take a fresh
 * address for every guess. Anything else is kept as given, at most 100 characters.
 */
export function throttlingSource(address: string): string {
  if (CANONICAL_IPV4_RE.test(address)) return address
  const text = PADDED_IPV4_RE.test(address) ? address.replace(/(^|\.)0+(?=\d)/g, '$1') : address
  const parsed = parseAddress(text, { stripZone: true })
  if (parsed === null) return bounded(address)
  return isMapped(parsed) ? formatAddress(parsed) : `${network64(parsed)}::/64`
}

/** The first four groups of an IPv6 address, in hex without leading zeros (`2001:db8:0:0`). */
function network64(address: Address): string {
  const groups = (word: number) => `${(word >>> 16).toString(16)}:${(word & 0xffff).toString(16)}`
  return `${groups(address[0])}:${groups(address[1])}`
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
  return parsed === null ? bounded(address) : formatAddress(parsed)
}
