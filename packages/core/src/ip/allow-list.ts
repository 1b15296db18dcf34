import { InvalidInputError } from '../errors.js'
import { parseInto, type Words } from './address.js'
import { isRangeRefusal, parseRange, type Range } from './range.js'

/**
 * A compiled IP allow-list: sorted, disjoint 128-bit intervals and a binary search over them.
 * Build one with {@link compileAllowList} when a key's or owner's rules are loaded, not per request.
 */
export type AllowList = {
  /**
   * Whether `source` (the request's address, as `req.socket.remoteAddress` gives it) lies in the
   * list. An IPv6 zone id is ignored; an IPv4-mapped source matches an IPv4 entry and the other
   * way round. `undefined` or an unparseable source is not allowed (fail closed).
   */
  allows(source: string | undefined): boolean
  /** Number of disjoint intervals after merging overlapping and adjacent entries. */
  readonly intervals: number
}

/**
 * Compiles allow-list entries (IPv4/IPv6 addresses and CIDR ranges) into an {@link AllowList}.
 * Overlapping and adjacent ranges merge, so `allows()` costs O(log n) whatever the entries.
 * An empty list allows nothing; leave `allowedIps` unset for no restriction.
 *
 * @throws {InvalidInputError} naming the entry at fault (`allowedIps[2]`), without echoing it.
 * @example
 * const list = compileAllowList(['203.0.113.0/24', '2001:db8::/32'])
 * list.allows('203.0.113.7')        // true
 * list.allows('::ffff:203.0.113.7') // true: IPv4-mapped
 * list.allows('198.51.100.1')       // false
 */
export function compileAllowList(entries: readonly string[], field = 'allowedIps'): AllowList {
  const ranges = entries.map((entry, index) => parseEntry(entry, `${field}[${index}]`))
  ranges.sort((a, b) => compare(a.first, 0, b.first, 0))
  const starts: number[] = []
  const ends: number[] = []
  for (const range of ranges) {
    const last = ends.length - 4
    if (last >= 0 && touches(ends, last, range.first)) {
      if (compare(range.last, 0, ends, last) > 0) for (let k = 0; k < 4; k++) ends[last + k] = range.last[k]!
    } else {
      starts.push(...range.first)
      ends.push(...range.last)
    }
  }
  return intervalList(Uint32Array.from(starts), Uint32Array.from(ends))
}

/** Parses one entry, or throws {@link InvalidInputError} on `field`. */
export function parseEntry(entry: unknown, field: string): Range {
  if (typeof entry !== 'string') throw new InvalidInputError(field, 'must be a string: an IPv4/IPv6 address or CIDR range')
  const parsed = parseRange(entry)
  if (isRangeRefusal(parsed)) throw new InvalidInputError(field, parsed.reason)
  return parsed
}

function intervalList(starts: Uint32Array, ends: Uint32Array): AllowList {
  const count = starts.length / 4
  const source = new Uint32Array(4)
  return {
    intervals: count,
    allows(text) {
      if (typeof text !== 'string' || count === 0 || !parseInto(text, 0, text.length, source, true)) return false
      const s0 = source[0]!
      const s1 = source[1]!
      const s2 = source[2]!
      const s3 = source[3]!
      // The last interval whose start is <= source, then whether source is <= its end.
      let low = 0
      let high = count - 1
      let found = -1
      while (low <= high) {
        const mid = (low + high) >>> 1
        if (atOrBelow(starts, mid * 4, s0, s1, s2, s3)) {
          found = mid
          low = mid + 1
        } else high = mid - 1
      }
      return found >= 0 && atOrAbove(ends, found * 4, s0, s1, s2, s3)
    },
  }
}

/** Whether the four words of `words` at `o` are <= (s0, s1, s2, s3). */
function atOrBelow(words: Uint32Array, o: number, s0: number, s1: number, s2: number, s3: number): boolean {
  if (words[o] !== s0) return words[o]! < s0
  if (words[o + 1] !== s1) return words[o + 1]! < s1
  if (words[o + 2] !== s2) return words[o + 2]! < s2
  return words[o + 3]! <= s3
}

/** Whether the four words of `words` at `o` are >= (s0, s1, s2, s3). */
function atOrAbove(words: Uint32Array, o: number, s0: number, s1: number, s2: number, s3: number): boolean {
  if (words[o] !== s0) return words[o]! > s0
  if (words[o + 1] !== s1) return words[o + 1]! > s1
  if (words[o + 2] !== s2) return words[o + 2]! > s2
  return words[o + 3]! >= s3
}

/** Sign of (a at offset i) − (b at offset j), both four unsigned words. */
function compare(a: Words, i: number, b: Words, j: number): number {
  for (let k = 0; k < 4; k++) {
    const d = a[i + k]! - b[j + k]!
    if (d !== 0) return d
  }
  return 0
}

/** Whether `start` lies at or before (end at offset i) + 1, so the two intervals merge. */
function touches(ends: Words, i: number, start: Words): boolean {
  if (compare(start, 0, ends, i) <= 0) return true
  // start > end: adjacent when start − 1 === end, counting the borrow through the words.
  let borrow = 1
  for (let k = 3; k >= 0; k--) {
    const word = start[k]! - borrow
    borrow = word < 0 ? 1 : 0
    if ((word + 0x100000000) % 0x100000000 !== ends[i + k]) return false
  }
  return true
}
