import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { DIGEST_LENGTH, type KeyDigester } from '../lib/digest.js'

/** How an imported record's digest is made from the key the other system issued. */
export type LegacyScheme = 'legacy-sha256' | 'legacy-prefixed-api-key'

/** The part of a prefixed-api-key key (`<prefix>_<shortToken>_<longToken>`) that the other system hashed. */
export function longTokenOf(key: string): string {
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
export function sha256Into(text: string, out: Uint8Array): void {
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  out.set(sha256(bytes))
}
