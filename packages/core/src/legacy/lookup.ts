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
  /** Hash states with the domain tag already absorbed, copied per use: no allocation on the verify path. */
  readonly #derivers = {
    'whole-key': new ReusableSha256('keyward legacy id: whole-key\u0000'),
    'prefixed-api-key': new ReusableSha256('keyward legacy id: prefixed-api-key\u0000'),
    'lookup-id': new ReusableSha256('keyward legacy id: lookup-id\u0000'),
  }
  readonly #keyHash = new ReusableSha256('')
  readonly #keyDigest = new Uint8Array(32)
  readonly #idHash = new Uint8Array(32)
  #input = new Uint8Array(0)

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
    if (this.#input.length < key.length) this.#input = new Uint8Array(512)
    this.#keyHash.hash(asciiInto(key, this.#input), this.#keyDigest)
    const whole = { id: this.wholeKeyId(this.#keyDigest), scheme: 'whole-key' as const }
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

  #derive(scheme: 'whole-key' | 'prefixed-api-key' | 'lookup-id', bytes: Uint8Array): string {
    const hash = this.#derivers[scheme].hash(bytes, this.#idHash)
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

interface HashState {
  update(data: Uint8Array): unknown
  digestInto(out: Uint8Array): void
  _cloneInto(to?: HashState): HashState
}

/** SHA-256 whose initial state (a tag absorbed) is built once and copied per use, like the digester. */
class ReusableSha256 {
  readonly #pristine: HashState
  readonly #scratch: HashState

  constructor(tag: string) {
    this.#pristine = sha256.create() as unknown as HashState
    if (tag.length > 0) this.#pristine.update(utf8ToBytes(tag))
    this.#scratch = this.#pristine._cloneInto()
  }

  /** SHA-256 of the tag then `data`, written into `out`, which is returned. */
  hash(data: Uint8Array, out: Uint8Array): Uint8Array {
    this.#pristine._cloneInto(this.#scratch)
    this.#scratch.update(data)
    this.#scratch.digestInto(out)
    return out
  }
}

/** `text` (ASCII, as every declared legacy key is) as bytes, in `buffer` when it fits. */
function asciiInto(text: string, buffer: Uint8Array): Uint8Array {
  const bytes = buffer.length >= text.length ? buffer.subarray(0, text.length) : new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  return bytes
}
