import { utf8ToBytes } from '@noble/hashes/utils.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { LegacyDigester, type LegacyScheme, SlowDigester } from '../legacy/digesters.js'
import {
  BCRYPT_HINT,
  type BcryptCompare,
  parseSlowHash,
  type SlowHashes,
  type SlowScheme,
  SLOW_HASHES_HINT,
} from '../legacy/slow-hashes.js'
import { InvalidStateError } from '../errors.js'
import { DIGEST_LENGTH, Digester, decodeDigest, digestsEqual, type KeyDigester } from './digest.js'

const SLOW_SCHEMES = new Set(['legacy-bcrypt', 'legacy-scrypt', 'legacy-argon2id', 'legacy-pbkdf2'])

const DEFAULT_PEPPER_ID = 'default'
const MIN_PEPPER_BYTES = 32
const PEPPER_ID_RE = /^[A-Za-z0-9_.-]{1,32}$/

export type PepperSecret = string | Uint8Array

export interface PepperOptions {
  pepper?: PepperSecret | false
  peppers?: { current: string; secrets: Record<string, PepperSecret> }
  acceptUnpepperedUntil?: Date
}

/** How a record's digest is checked: with which digester, and until when a match counts. */
export interface DigestTrust {
  digester: KeyDigester
  /** Epoch milliseconds after which a match no longer counts: `Infinity` for a configured pepper. */
  acceptUntil: number
}

function pepperBytes(id: string, secret: unknown): Uint8Array {
  const bytes = typeof secret === 'string' ? utf8ToBytes(secret) : secret instanceof Uint8Array ? Uint8Array.from(secret) : null
  if (!bytes) throw new TypeError(`pepper "${id}" must be a string or a Uint8Array`)
  if (bytes.length < MIN_PEPPER_BYTES)
    throw new RangeError(`pepper "${id}" must be at least ${MIN_PEPPER_BYTES} bytes, got ${bytes.length}`)
  return bytes
}

/**
 * The digesters of a deployment: the current one (used for new keys and for unknown ids) and one
 * per pepper id that older records may name.
 */
export class DigesterSet {
  readonly current: Digester
  readonly #byPepperId = new Map<string, Digester>()
  readonly #secrets = new Map<string, Uint8Array>()
  readonly #legacy = new Map<string, LegacyDigester>()
  /** Whether records imported as another system's digest may verify (`createKeyward({ legacy })`). */
  legacyEnabled = false
  /** bcrypt's compare, from `createKeyward({ legacy: { bcrypt } })`; without it bcrypt records match nothing. */
  bcrypt: BcryptCompare | undefined
  /** argon2id, scrypt and PBKDF2, from `createKeyward({ legacy: { slowHashes } })` (`@keyward/core/slow-hashes`). */
  slowHashes: SlowHashes | undefined
  #plain: Digester | undefined
  /** Until when an unpeppered record may verify: always without a pepper, never by default with one. */
  readonly #unpepperedUntil: number

  constructor(options: PepperOptions) {
    if (options.pepper !== undefined && options.pepper !== false && options.peppers !== undefined)
      throw new TypeError('give either pepper or peppers, not both')
    if (options.peppers !== undefined) {
      const { current, secrets } = options.peppers
      if (!secrets || typeof secrets !== 'object') throw new TypeError('peppers.secrets must be an object of id → secret')
      for (const [id, secret] of Object.entries(secrets)) {
        if (!PEPPER_ID_RE.test(id)) throw new TypeError(`pepper id ${JSON.stringify(id)} must match ${PEPPER_ID_RE}`)
        const bytes = pepperBytes(id, secret)
        this.#secrets.set(id, bytes)
        this.#byPepperId.set(id, new Digester({ id, secret: bytes }))
      }
      const currentDigester = typeof current === 'string' ? this.#byPepperId.get(current) : undefined
      if (!currentDigester) throw new TypeError(`peppers.current must name one of peppers.secrets`)
      this.current = currentDigester
    } else if (options.pepper !== undefined && options.pepper !== false) {
      const bytes = pepperBytes(DEFAULT_PEPPER_ID, options.pepper)
      this.#secrets.set(DEFAULT_PEPPER_ID, bytes)
      this.current = new Digester({ id: DEFAULT_PEPPER_ID, secret: bytes })
      this.#byPepperId.set(DEFAULT_PEPPER_ID, this.current)
    } else {
      this.current = this.plain
    }
    const until = options.acceptUnpepperedUntil
    if (until === undefined) this.#unpepperedUntil = this.current === this.#plain ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY
    else if (!(until instanceof Date) || Number.isNaN(until.getTime())) throw new TypeError('acceptUnpepperedUntil must be a valid Date')
    else if (this.current === this.#plain)
      throw new TypeError('acceptUnpepperedUntil needs a pepper: without one every record is unpeppered')
    else this.#unpepperedUntil = until.getTime()
  }

  /** Unpeppered SHA-256, for records made before a pepper was configured. */
  get plain(): Digester {
    return (this.#plain ??= new Digester(null))
  }

  /**
   * How to check a record that names `algorithm` and `pepperId`. A record's algorithm is data that
   * whoever can write a row controls, so it is trusted only as far as the configuration allows:
   * with a pepper configured, an unpeppered record matches only inside the migration window
   * (`acceptUnpepperedUntil`), and one naming a pepper that is not configured never matches.
   */
  trustFor(algorithm: string, pepperId: string | null, record?: { id: string; legacyHash: string | null; digest: string }): DigestTrust {
    if (SLOW_SCHEMES.has(algorithm) && this.legacyEnabled && record?.legacyHash) {
      const slow = this.#slow(algorithm as SlowScheme, pepperId, record.id, record.legacyHash, record.digest)
      if (slow !== null) return { digester: slow, acceptUntil: pepperId === null ? this.#unpepperedUntil : Number.POSITIVE_INFINITY }
    } else if ((algorithm === 'legacy-sha256' || algorithm === 'legacy-prefixed-api-key') && this.legacyEnabled) {
      if (pepperId === null) return { digester: this.legacy(algorithm, null), acceptUntil: this.#unpepperedUntil }
      if (this.#secrets.has(pepperId)) return { digester: this.legacy(algorithm, pepperId), acceptUntil: Number.POSITIVE_INFINITY }
    } else if (algorithm === 'hmac-sha256' && pepperId !== null) {
      const digester = this.#byPepperId.get(pepperId)
      if (digester !== undefined) return { digester, acceptUntil: Number.POSITIVE_INFINITY }
    } else if (algorithm === 'sha256') return { digester: this.plain, acceptUntil: this.#unpepperedUntil }
    return { digester: this.current, acceptUntil: Number.NEGATIVE_INFINITY }
  }

  /**
   * The digest a record imported as slow hash `legacyHash` stores: the string's SHA-256 under the
   * pepper (plain SHA-256 without one). It binds the string to the record.
   */
  slowDigest(legacyHash: string, pepperId: string | null, out: Uint8Array): void {
    this.legacy('legacy-sha256', pepperId).wrapInto(sha256(utf8ToBytes(legacyHash)), out)
  }

  /**
   * A digester for a slow-hash record whose string still matches its digest; null otherwise. A
   * genuine argon2id, scrypt or PBKDF2 record on an instance without `legacy.slowHashes`, or a bcrypt
   * one without `legacy.bcrypt`, throws `InvalidStateError` naming what it lacks (`verify` answers
   * `store_unavailable`, the event says why).
   */
  #slow(algorithm: SlowScheme, pepperId: string | null, id: string, legacyHash: string, digest: string): SlowDigester | null {
    if (pepperId !== null && !this.#secrets.has(pepperId)) return null
    const stored = decodeDigest(digest)
    if (stored === null) return null
    const expected = new Uint8Array(DIGEST_LENGTH)
    this.slowDigest(legacyHash, pepperId, expected)
    if (!digestsEqual(expected, stored)) return null
    const lacking =
      algorithm === 'legacy-bcrypt' ? this.bcrypt === undefined && BCRYPT_HINT : this.slowHashes === undefined && SLOW_HASHES_HINT
    if (lacking)
      throw new InvalidStateError(
        id,
        `This key was imported as a slow hash (${algorithm.slice(7)}) this instance cannot check: ${lacking}.`,
      )
    const parsed = parseSlowHash(algorithm, legacyHash, this.slowHashes)
    if (typeof parsed === 'string') return null
    return new SlowDigester(algorithm, pepperId, (key) => parsed.check(key, this.bcrypt), stored)
  }

  /** The digester of imported records of `scheme` under a configured pepper (or none). */
  legacy(scheme: LegacyScheme, pepperId: string | null): LegacyDigester {
    const name = `${scheme}:${pepperId ?? ''}`
    let digester = this.#legacy.get(name)
    if (digester === undefined) {
      const secret = pepperId === null ? null : this.#secrets.get(pepperId)
      if (secret === undefined) throw new TypeError(`no pepper "${pepperId}" is configured`)
      digester = new LegacyDigester(scheme, secret && { id: pepperId!, secret })
      this.#legacy.set(name, digester)
    }
    return digester
  }
}
