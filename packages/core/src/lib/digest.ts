import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'

/**
 * How a record's digest was made: of the whole key (`sha256`, or `hmac-sha256` under a pepper), or,
 * for a key imported as another system's digest, of what that system hashed (see `legacy/`).
 */
export type DigestAlgorithm =
  | 'sha256'
  | 'hmac-sha256'
  | 'legacy-sha256'
  | 'legacy-prefixed-api-key'
  | 'legacy-bcrypt'
  | 'legacy-scrypt'
  | 'legacy-argon2id'
  | 'legacy-pbkdf2'

/** What checks a presented key against a record's digest: the native digester or a legacy one. */
export interface KeyDigester {
  readonly algorithm: DigestAlgorithm
  readonly pepperId: string | null
  /** Digest of `key` (ASCII) written into `out` (32 bytes). */
  digestInto(key: string, out: Uint8Array): void
  /** Digest of `key` as lowercase hex. */
  digestHex(key: string): string
  /** For slow hashes: the digest, computed without blocking the event loop (verify awaits it). */
  digestIntoAsync?(key: string, out: Uint8Array): Promise<void>
}

export const DIGEST_LENGTH = 32

interface ReusableHash {
  update(data: Uint8Array): unknown
  digestInto(out: Uint8Array): void
  _cloneInto(to?: ReusableHash): ReusableHash
}

/**
 * Digests ASCII keys with one algorithm and pepper. The initial hash state (for HMAC: with the
 * key already absorbed) is built once and copied into a scratch instance per call, so the hot path
 * allocates nothing.
 */
export class Digester implements KeyDigester {
  readonly algorithm: 'sha256' | 'hmac-sha256'
  readonly pepperId: string | null
  readonly #pristine: ReusableHash
  readonly #scratch: ReusableHash
  #input = new Uint8Array(0)

  constructor(pepper: { id: string; secret: Uint8Array } | null) {
    this.algorithm = pepper ? 'hmac-sha256' : 'sha256'
    this.pepperId = pepper ? pepper.id : null
    this.#pristine = (pepper ? hmac.create(sha256, pepper.secret) : sha256.create()) as unknown as ReusableHash
    this.#scratch = this.#pristine._cloneInto()
  }

  /** Digest of `key` (ASCII) written into `out` (32 bytes). */
  digestInto(key: string, out: Uint8Array): void {
    const length = key.length
    if (this.#input.length !== length) this.#input = new Uint8Array(length)
    const input = this.#input
    for (let i = 0; i < length; i++) input[i] = key.charCodeAt(i)
    this.#pristine._cloneInto(this.#scratch)
    this.#scratch.update(input)
    this.#scratch.digestInto(out)
  }

  /** Digest of `key` as lowercase hex. */
  digestHex(key: string): string {
    const out = new Uint8Array(DIGEST_LENGTH)
    this.digestInto(key, out)
    return bytesToHex(out)
  }
}

/** The 32 bytes of a stored hex digest, or null when it is not 64 hex characters. */
export function decodeDigest(hex: string): Uint8Array | null {
  if (typeof hex !== 'string' || hex.length !== DIGEST_LENGTH * 2) return null
  try {
    return hexToBytes(hex)
  } catch {
    return null
  }
}

/** Compares two 32-byte digests in time independent of their contents: no early exit. */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = 0
  for (let i = 0; i < DIGEST_LENGTH; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/**
 * The char codes of a key (ASCII), as bytes. Remembered keys are kept in this one representation so
 * that comparing against a real one and against the decoy costs the same (strings may be flat,
 * sliced or concatenated inside the engine, and each reads at its own speed).
 */
export function keyBytes(key: string): Uint8Array {
  const bytes = new Uint8Array(key.length)
  for (let i = 0; i < key.length; i++) bytes[i] = key.charCodeAt(i)
  return bytes
}

/** Constant-time equality of a key and remembered key bytes: no early exit, whatever the contents. */
export function keysEqual(key: string, remembered: Uint8Array): boolean {
  const length = remembered.length
  let diff = key.length ^ length
  for (let i = 0; i < length; i++) diff |= key.charCodeAt(i) ^ remembered[i]!
  return diff === 0
}
