import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/** Printable ASCII without space: what any API key of any system is made of. */
const LEGACY_KEY_RE = /^[\x21-\x7e]{8,512}$/
const PREFIX_RE = /^[\x21-\x7e]{1,64}$/
const TOKEN_RE = /^[A-Za-z0-9]+$/

/** Where an imported key's record is: its id, and how the key was hashed by the system it came from. */
export interface LegacyCandidate {
  id: string
  scheme: 'whole-key' | 'prefixed-api-key' | 'lookup-id'
}

/**
 * Record ids for keys of other systems. A key keeps the string its system issued, so its id cannot
 * be read from it as a Keyward id is: it is derived (SHA-256, domain-separated, base62) from what
 * identifies the key there — the whole key's SHA-256 (Unkey, Better Auth, most home-grown tables),
 * or prefixed-api-key's short token. Derived, not random, so an import needs only what the other
 * system stored.
 */
export class LegacyLookup {
  readonly prefixes: readonly string[]
  /** Where a key of a slow-hash table says which row is its own (`legacy.lookupId`). */
  readonly lookupIdOf: ((key: string) => string | null | undefined) | undefined
  readonly #idLength: number

  constructor(prefixes: unknown, idLength: number, lookupIdOf?: unknown) {
    if (lookupIdOf !== undefined && typeof lookupIdOf !== 'function')
      throw new TypeError('legacy.lookupId must be a function (key) => the id the other system looked the key up by')
    this.lookupIdOf = lookupIdOf as LegacyLookup['lookupIdOf']
    if (
      !Array.isArray(prefixes) ||
      prefixes.length === 0 ||
      prefixes.length > 20 ||
      !prefixes.every((p) => typeof p === 'string' && PREFIX_RE.test(p))
    )
      throw new TypeError('legacy.prefixes must list 1–20 key prefixes of other systems, like ["sk_live_"], printable ASCII, no spaces')
    this.prefixes = Object.freeze([...prefixes])
    this.#idLength = idLength
  }

  /** Whether `key` starts with a declared legacy prefix and is shaped like any API key (no store call). */
  declared(key: unknown): key is string {
    return typeof key === 'string' && LEGACY_KEY_RE.test(key) && this.prefixes.some((prefix) => key.startsWith(prefix))
  }

  /**
   * Where to look for a declared legacy key, in order: by prefixed-api-key's short token when the key
   * has that shape (`<declared prefix>_<short>_<long>`), then by the whole key's SHA-256.
   */
  candidates(key: string): LegacyCandidate[] {
    const lookupId = this.#lookupId(key)
    if (lookupId !== null) return [{ id: this.slowHashId(lookupId), scheme: 'lookup-id' }]
    const whole = { id: this.wholeKeyId(sha256(utf8ToBytes(key))), scheme: 'whole-key' as const }
    const split = prefixedApiKeyParts(key)
    // prefixed-api-key's own prefix is declared with or without the `_` that follows it.
    if (split === null || !this.prefixes.some((p) => p === split.prefix || p === `${split.prefix}_`)) return [whole]
    return [{ id: this.prefixedId(split.shortToken), scheme: 'prefixed-api-key' }, whole]
  }

  /** The record id of a key whose whole-key SHA-256 is `digest`. */
  wholeKeyId(digest: Uint8Array): string {
    return this.#derive('whole-key', digest)
  }

  /** The record id of a key the other system looked up by `lookupId` (salted slow hashes). */
  slowHashId(lookupId: string): string {
    return this.#derive('lookup-id', utf8ToBytes(lookupId))
  }

  /** The application's `legacy.lookupId(key)`, checked: a non-empty string of at most 256 characters, else null. */
  #lookupId(key: string): string | null {
    if (this.lookupIdOf === undefined) return null
    let id: unknown
    try {
      id = this.lookupIdOf(key)
    } catch {
      return null
    }
    return typeof id === 'string' && id.length > 0 && id.length <= 256 ? id : null
  }

  /** The record id of a prefixed-api-key key with this short token. */
  prefixedId(shortToken: string): string {
    return this.#derive('prefixed-api-key', utf8ToBytes(shortToken))
  }

  #derive(scheme: string, bytes: Uint8Array): string {
    const tag = utf8ToBytes(`keyward legacy id: ${scheme}\u0000`)
    const input = new Uint8Array(tag.length + bytes.length)
    input.set(tag)
    input.set(bytes, tag.length)
    const hash = sha256(input)
    let id = ''
    for (let i = 0; i < this.#idLength; i++) id += BASE62[hash[i]! % 62]
    return id
  }
}

/** A prefixed-api-key key's parts (`<prefix>_<shortToken>_<longToken>`, tokens alphanumeric), or null. */
function prefixedApiKeyParts(key: string): { prefix: string; shortToken: string; longToken: string } | null {
  const last = key.lastIndexOf('_')
  const before = last > 0 ? key.lastIndexOf('_', last - 1) : -1
  if (before < 1) return null
  const shortToken = key.slice(before + 1, last)
  const longToken = key.slice(last + 1)
  return TOKEN_RE.test(shortToken) && TOKEN_RE.test(longToken) ? { prefix: key.slice(0, before), shortToken, longToken } : null
}
