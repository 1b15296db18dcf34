import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js'
import { DIGEST_LENGTH, type KeyDigester } from '../lib/digest.js'
import type { SlowScheme } from './slow-hashes.js'

/** How an imported record's digest is made from the key the other system issued. */
export type LegacyScheme = 'legacy-sha256' | 'legacy-prefixed-api-key'

/** The part of a prefixed-api-key key (`<prefix>_<shortToken>_<longToken>`) that the other system hashed. */
function longTokenOf(key: string): string {
  return key.slice(key.lastIndexOf('_') + 1)
}

/**
 * Checks keys imported as a digest another system stored: SHA-256 of the whole key (Unkey, Better
 * Auth, most home-grown code) or of prefixed-api-key's long token. The stored digest is that
 * SHA-256 under this deployment's pepper (HMAC), so someone who can write a row and lacks the
 * pepper cannot plant a key, as for native records. Same interface as the native digester, so the
 * verification path does the same steps for both.
 */
export class LegacyDigester implements KeyDigester {
  readonly algorithm: LegacyScheme
  readonly pepperId: string | null
  readonly #secret: Uint8Array | null
  readonly #inner = new Uint8Array(DIGEST_LENGTH)

  /** Without a pepper the stored digest is the other system's SHA-256 itself. */
  constructor(scheme: LegacyScheme, pepper: { id: string; secret: Uint8Array } | null) {
    this.algorithm = scheme
    this.pepperId = pepper?.id ?? null
    this.#secret = pepper?.secret ?? null
  }

  /** HMAC under the pepper (or, without one, nothing more) of the SHA-256 the other system stored. */
  digestInto(key: string, out: Uint8Array): void {
    sha256Into(this.algorithm === 'legacy-prefixed-api-key' ? longTokenOf(key) : key, this.#inner)
    this.wrapInto(this.#inner, out)
  }

  digestHex(key: string): string {
    const out = new Uint8Array(DIGEST_LENGTH)
    this.digestInto(key, out)
    return bytesToHex(out)
  }

  /** The stored form of a SHA-256 another system kept (for import). */
  wrapInto(inner: Uint8Array, out: Uint8Array): void {
    out.set(this.#secret === null ? inner : hmac(sha256, this.#secret, inner))
  }
}

/** SHA-256 of an ASCII string into `out`. */
function sha256Into(text: string, out: Uint8Array): void {
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  out.set(sha256(bytes))
}

/**
 * Checks keys imported as a salted slow hash (bcrypt, scrypt, argon2id, PBKDF2). The record keeps the
 * other system's hash string (`legacyHash`) and, as its digest, that string under the pepper: the
 * digester is made only for a record whose string still matches its digest (someone who can write a
 * row but lacks the pepper cannot swap in a hash of their own), and it re-runs the slow hash with the
 * stored salt and cost. A match yields the stored digest; anything else random bytes, which match
 * nothing. Asynchronous: the slow hash yields to the event loop while it runs.
 */
export class SlowDigester implements KeyDigester {
  readonly algorithm: SlowScheme
  readonly pepperId: string | null
  readonly slow = true
  readonly #check: (key: string) => Promise<boolean>
  readonly #digest: Uint8Array

  constructor(algorithm: SlowScheme, pepperId: string | null, check: (key: string) => Promise<boolean>, digest: Uint8Array) {
    this.algorithm = algorithm
    this.pepperId = pepperId
    this.#check = check
    this.#digest = digest
  }

  /** Synchronous callers (identify) get no match: a slow hash is only checked on `verify`. */
  digestInto(_key: string, out: Uint8Array): void {
    out.set(randomBytes(DIGEST_LENGTH))
  }

  digestHex(key: string): string {
    const out = new Uint8Array(DIGEST_LENGTH)
    this.digestInto(key, out)
    return bytesToHex(out)
  }

  async digestIntoAsync(key: string, out: Uint8Array): Promise<void> {
    out.set((await this.#check(key)) ? this.#digest : randomBytes(DIGEST_LENGTH))
  }
}
