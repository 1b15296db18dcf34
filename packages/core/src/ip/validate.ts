import { InvalidInputError } from '../errors.js'
import { parseEntry } from './allow-list.js'

/** Most entries an `allowedIps` list may hold. */
const MAX_ENTRIES = 1000
/** Longest entry: a full IPv6 address with an IPv4 tail and a prefix is 45 characters. */
const MAX_ENTRY_LENGTH = 64

/**
 * Validates an `allowedIps` input: an array of at most 1,000 strings of at most 64 characters, each
 * an IPv4/IPv6 address or CIDR range.
 *
 * @returns the entries in canonical form (lowercase RFC 5952 IPv6, IPv4-mapped ranges as IPv4,
 * host bits cleared: `10.0.0.1/8` → `10.0.0.0/8`, `/32` and `/128` dropped), duplicates removed,
 * first occurrence kept.
 * @throws {InvalidInputError} on `field`, or on `field[i]` for a bad entry (the entry is not echoed).
 * @example
 * validateAllowList(['2001:DB8::/32', '::ffff:10.0.0.1'], 'allowedIps') // ['2001:db8::/32', '10.0.0.1']
 */
export function validateAllowList(entries: unknown, field: string): string[] {
  if (!Array.isArray(entries)) throw new InvalidInputError(field, 'must be an array of IPv4/IPv6 addresses or CIDR ranges')
  if (entries.length > MAX_ENTRIES) throw new InvalidInputError(field, `must hold at most ${MAX_ENTRIES} entries, got ${entries.length}`)
  const texts = new Set<string>()
  entries.forEach((entry: unknown, index) => {
    if (typeof entry === 'string' && entry.length > MAX_ENTRY_LENGTH)
      throw new InvalidInputError(`${field}[${index}]`, `must be at most ${MAX_ENTRY_LENGTH} characters`)
    texts.add(parseEntry(entry, `${field}[${index}]`).text)
  })
  return [...texts]
}
