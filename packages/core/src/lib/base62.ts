import { randomBytes } from '@noble/hashes/utils.js'

export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** Source of random bytes; replaceable only for known-answer tests. */
export type RandomSource = (length: number) => Uint8Array

export const cryptoRandom: RandomSource = (length) => randomBytes(length)

/**
 * `length` base62 characters from `random`, without modulo bias: bytes of 248 or more
 * (248 = 4 × 62) are discarded, the rest map to `byte % 62`.
 */
export function randomBase62(length: number, random: RandomSource): string {
  let out = ''
  while (out.length < length) {
    // Expected acceptance is 248/256; ask for a little more than needed.
    const bytes = random(Math.min(1024, Math.ceil((length - out.length) * 1.1) + 4))
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const byte = bytes[i]!
      if (byte < 248) out += BASE62_ALPHABET[byte % 62]
    }
  }
  return out
}

/** `value` (a non-negative safe integer) in base62, left-padded with `0` to `width` characters. */
export function encodeBase62(value: number, width: number): string {
  let out = ''
  let rest = value
  do {
    out = BASE62_ALPHABET[rest % 62] + out
    rest = Math.floor(rest / 62)
  } while (rest > 0)
  return out.padStart(width, '0')
}
