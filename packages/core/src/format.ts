import { BASE62_ALPHABET, encodeBase62, randomBase62, type RandomSource } from './lib/base62.js'
import { crc32Ascii, crc32Final, crc32State, crc32Update } from './lib/crc32.js'

/** Length of the CRC32 checksum in base62 characters. */
const CHECK_LENGTH = 6
/** Anything longer than this cannot be a key; it is rejected before it is read. */
export const MAX_KEY_LENGTH = 256
const MAX_PREFIX_LENGTH = 64
const MIN_SECRET_LENGTH = 22 // 22 × log2(62) ≈ 131 bits ≥ 128
const PREFIX_RE = /^[a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*$/
const UNDERSCORE = 95

/** base62 digit value of each ASCII code, or -1. */
const DIGIT = /* @__PURE__ */ (() => {
  const table = new Int8Array(128).fill(-1)
  for (let i = 0; i < 62; i++) table[BASE62_ALPHABET.charCodeAt(i)] = i
  return table
})()

/** Options of the key format. */
export interface KeyFormatOptions {
  /** Deployment prefix: lowercase segments joined by `_`, e.g. `acme_live`. */
  prefix: string
  /**
   * Length of the public id in base62 characters.
   * @default 12
   */
  idLength?: number
  /**
   * Length of the secret in base62 characters; at least 22 (128 bits).
   * @default 32 (190 bits)
   */
  secretLength?: number
}

/** A key split into its parts. `ownPrefix` is false for a well-formed key of another deployment. */
export interface ParsedKey {
  prefix: string
  id: string
  ownPrefix: boolean
}

function isBase62Run(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i)
    if (code > 127 || DIGIT[code]! < 0) return false
  }
  return true
}

function decodeBase62(text: string, start: number, end: number): number {
  let value = 0
  for (let i = start; i < end; i++) value = value * 62 + DIGIT[text.charCodeAt(i)]!
  return value
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Throws a `TypeError`/`RangeError` describing what is wrong with a prefix. */
function assertValidPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string') throw new TypeError(`prefix must be a string, got ${typeof prefix}`)
  if (prefix.length === 0 || prefix.length > MAX_PREFIX_LENGTH)
    throw new RangeError(`prefix must be 1–${MAX_PREFIX_LENGTH} characters, got ${prefix.length}`)
  if (!PREFIX_RE.test(prefix))
    throw new TypeError(
      `prefix must be lowercase segments of [a-z0-9] starting with a letter, joined by "_" (like "acme" or "acme_live"), got ${JSON.stringify(prefix)}`,
    )
}

function assertLength(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`)
  return value
}

/**
 * The key format `<prefix>_<id>_<secret><check>`: base62 parts, a CRC32 checksum of everything
 * before it in 6 base62 characters, parsed from the right so the prefix may contain `_`.
 */
export class KeyFormat {
  readonly prefix: string
  readonly idLength: number
  readonly secretLength: number
  /** Matches one key of this deployment (no flags). For scanners: GitHub custom patterns, gitleaks. */
  readonly pattern: RegExp
  /** Length of every key of this deployment. */
  readonly keyLength: number
  readonly #globalPattern: RegExp
  readonly #tailLength: number

  constructor(options: KeyFormatOptions) {
    assertValidPrefix(options.prefix)
    this.prefix = options.prefix
    this.idLength = assertLength('idLength', options.idLength ?? 12, 8, 32)
    this.secretLength = assertLength('secretLength', options.secretLength ?? 32, MIN_SECRET_LENGTH, 64)
    this.#tailLength = this.secretLength + CHECK_LENGTH
    this.keyLength = this.prefix.length + 1 + this.idLength + 1 + this.#tailLength
    const source = `\\b${escapeRegExp(this.prefix)}_[0-9A-Za-z]{${this.idLength}}_[0-9A-Za-z]{${this.#tailLength}}\\b`
    this.pattern = new RegExp(source)
    this.#globalPattern = new RegExp(source, 'g')
  }

  /** A new random public id. */
  newId(random: RandomSource): string {
    return randomBase62(this.idLength, random)
  }

  /** Mint a new key from `random` (a CSPRNG in production), with a new id unless one is given. */
  generate(random: RandomSource, id = this.newId(random)): { key: string; id: string } {
    const body = `${this.prefix}_${id}_${randomBase62(this.secretLength, random)}`
    return { key: body + encodeBase62(crc32Ascii(body), CHECK_LENGTH), id }
  }

  /**
   * Split a candidate key, checking shape and checksum. Never throws; reads no more than
   * {@link MAX_KEY_LENGTH} characters. Returns null for anything that is not a well-formed key
   * (of any prefix).
   */
  parse(candidate: unknown): ParsedKey | null {
    if (typeof candidate !== 'string') return null
    const length = candidate.length
    if (length > MAX_KEY_LENGTH) return null
    const secretStart = length - this.#tailLength
    const idStart = secretStart - 1 - this.idLength
    const prefixEnd = idStart - 1
    if (prefixEnd < 1) return null
    if (candidate.charCodeAt(secretStart - 1) !== UNDERSCORE || candidate.charCodeAt(prefixEnd) !== UNDERSCORE) return null
    const checkStart = length - CHECK_LENGTH
    // One pass over id and secret: base62 check and CRC together (the prefix part is checked below).
    let crc = crc32State(candidate, idStart)
    for (let i = idStart; i < checkStart; i++) {
      const code = candidate.charCodeAt(i)
      if (i !== secretStart - 1 && (code > 127 || DIGIT[code]! < 0)) return null
      crc = crc32Update(crc, code)
    }
    if (!isBase62Run(candidate, checkStart, length) || decodeBase62(candidate, checkStart, length) !== crc32Final(crc)) return null
    const ownPrefix = prefixEnd === this.prefix.length && candidate.startsWith(this.prefix)
    const prefix = ownPrefix ? this.prefix : candidate.slice(0, prefixEnd)
    if (!ownPrefix && !PREFIX_RE.test(prefix)) return null
    return { prefix, id: candidate.slice(idStart, secretStart - 1), ownPrefix }
  }

  /** Whether `candidate` is a well-formed key of this deployment with a valid checksum. Offline. */
  looksLikeKey(candidate: unknown): boolean {
    return this.parse(candidate)?.ownPrefix === true
  }

  /** The safe display form of a key: `acme_live_8fK2…1b2C`. */
  redactKey(key: string): string {
    const idStart = key.length - this.#tailLength - 1 - this.idLength
    return `${key.slice(0, idStart + 4)}…${key.slice(-4)}`
  }

  /** `text` with every key of this deployment (valid checksum or not) replaced by its safe form. */
  redact(text: string): string {
    return text.replace(this.#globalPattern, (key) => this.redactKey(key))
  }
}
