import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { InvalidInputError } from '../errors.js'
import type { KeyFormat } from '../format.js'
import type { DigesterSet } from '../lib/peppers.js'
import type { ApiKeyRecord } from '../types.js'
import { validateOptionsBag } from '../validate.js'
import type { LegacyScheme } from './digesters.js'
import type { LegacyLookup } from './lookup.js'
import { BCRYPT_HINT, parseSlowHash, SLOW_HASHES_HINT } from './slow-hashes.js'

/** How another system stored a key, when its plaintext is gone. */
export type ImportedDigestAlgorithm =
  | 'sha256-hex'
  | 'sha256-base64'
  | 'sha256-base64url'
  | 'prefixed-api-key'
  | 'bcrypt'
  | 'scrypt'
  | 'argon2id'
  | 'pbkdf2'

/** A digest another system stored for a key: what `keyward.import` takes when the key itself is gone. */
export interface ImportedDigest {
  algorithm: ImportedDigestAlgorithm
  /** The stored value: the SHA-256 in the named encoding (prefixed-api-key: its `longTokenHash`, hex). */
  value: string
  /** The id the other system looked the key up by (prefixed-api-key: the short token). */
  lookupId?: string
}

/** The digest fields of a record made by an import, and the id it is found under. */
export interface ImportedSecret {
  id: string
  digest: string
  algorithm: ApiKeyRecord['algorithm']
  pepperId: string | null
  hint: string
  /** The other system's slow-hash string (salted slow hashes only). */
  legacyHash: string | null
}

const SLOW_HASHES = new Set(['bcrypt', 'scrypt', 'argon2id', 'pbkdf2'])
const SHA256_ENCODINGS: Record<string, RegExp> = {
  'sha256-hex': /^[0-9a-fA-F]{64}$/,
  'sha256-base64': /^[A-Za-z0-9+/]{43}=?$/,
  'sha256-base64url': /^[A-Za-z0-9_-]{43}=?$/,
}

/**
 * Where an imported key lives and what is stored for it. A plaintext key is digested as a native
 * one (under the current pepper) and found by its own id (a Keyward key) or by its derived legacy
 * id; a digest is kept as the other system made it, wrapped under the pepper, until the key's first
 * successful use re-digests it.
 */
export function importedSecret(
  input: { key?: unknown; digest?: unknown },
  format: KeyFormat,
  digesters: DigesterSet,
  lookup: LegacyLookup | null,
): ImportedSecret {
  if ((input.key === undefined) === (input.digest === undefined))
    throw new InvalidInputError('key', 'give either the key itself or the digest another system stored, not both')
  const current = digesters.current
  if (input.key !== undefined) {
    const key = input.key
    if (typeof key !== 'string') throw new InvalidInputError('key', 'must be a string')
    const parsed = format.parse(key)
    let id: string
    if (parsed?.ownPrefix) id = parsed.id
    else if (lookup?.declared(key)) id = lookup.candidates(key)[0]!.id
    else
      throw new InvalidInputError(
        'key',
        "is neither this deployment's key format nor one of the legacy prefixes declared with createKeyward({ legacy: { prefixes } })",
      )
    return {
      id,
      digest: current.digestHex(key),
      algorithm: current.algorithm,
      pepperId: current.pepperId,
      hint: key.slice(-4),
      legacyHash: null,
    }
  }
  if (lookup === null)
    throw new InvalidInputError('digest', 'needs the key prefixes of the other system: createKeyward({ legacy: { prefixes } })')
  const digest = validateOptionsBag(input.digest, 'digest', ['algorithm', 'value', 'lookupId'])
  const { algorithm, value, lookupId } = digest
  if (typeof algorithm !== 'string' || !(algorithm in SHA256_ENCODINGS || algorithm === 'prefixed-api-key' || SLOW_HASHES.has(algorithm)))
    throw new InvalidInputError(
      'digest.algorithm',
      'must be sha256-hex, sha256-base64, sha256-base64url, prefixed-api-key, bcrypt, scrypt, argon2id or pbkdf2',
    )
  if (typeof value !== 'string') throw new InvalidInputError('digest.value', 'must be a string')
  if (SLOW_HASHES.has(algorithm)) return slowHashSecret(algorithm as SlowHashAlgorithm, value, lookupId, digesters, lookup)
  const scheme: LegacyScheme = algorithm === 'prefixed-api-key' ? 'legacy-prefixed-api-key' : 'legacy-sha256'
  const inner = sha256Bytes(algorithm === 'prefixed-api-key' ? 'sha256-hex' : algorithm, value)
  let id: string
  if (scheme === 'legacy-prefixed-api-key') {
    if (typeof lookupId !== 'string' || !/^[A-Za-z0-9]{1,64}$/.test(lookupId))
      throw new InvalidInputError('digest.lookupId', "must be the key's short token (letters and digits)")
    id = lookup.prefixedId(lookupId)
  } else {
    if (lookupId !== undefined) throw new InvalidInputError('digest.lookupId', 'is only for prefixed-api-key and salted slow hashes')
    id = lookup.wholeKeyId(inner)
  }
  const out = new Uint8Array(32)
  const wrapper = digesters.legacy(scheme, current.pepperId)
  wrapper.wrapInto(inner, out)
  // Without a pepper, a whole-key SHA-256 is exactly a native unpeppered digest.
  const native = scheme === 'legacy-sha256' && current.pepperId === null
  return { id, digest: bytesToHex(out), algorithm: native ? 'sha256' : scheme, pepperId: current.pepperId, hint: '', legacyHash: null }
}

type SlowHashAlgorithm = 'bcrypt' | 'scrypt' | 'argon2id' | 'pbkdf2'

/** A salted slow hash: kept as the other system's string, bound to the record by its peppered SHA-256. */
function slowHashSecret(
  algorithm: SlowHashAlgorithm,
  value: string,
  lookupId: unknown,
  digesters: DigesterSet,
  lookup: LegacyLookup,
): ImportedSecret {
  const scheme = `legacy-${algorithm}` as const
  if (algorithm !== 'bcrypt' && digesters.slowHashes === undefined)
    throw new InvalidInputError('digest.algorithm', `${algorithm} needs the slow hashes: ${SLOW_HASHES_HINT}`)
  const parsed = parseSlowHash(scheme, value, digesters.slowHashes)
  if (typeof parsed === 'string') throw new InvalidInputError('digest.value', parsed)
  if (typeof lookupId !== 'string' || lookupId.length === 0 || lookupId.length > 256)
    throw new InvalidInputError('digest.lookupId', 'must be the id the other system looked this key up by')
  if (lookup.lookupIdOf === undefined)
    throw new InvalidInputError(
      'digest.lookupId',
      'needs createKeyward({ legacy: { lookupId: (key) => … } }) to find the key again when it is used',
    )
  if (algorithm === 'bcrypt' && digesters.bcrypt === undefined)
    throw new InvalidInputError('digest.algorithm', `bcrypt needs its compare: ${BCRYPT_HINT}`)
  const out = new Uint8Array(32)
  digesters.slowDigest(value, digesters.current.pepperId, out)
  return {
    id: lookup.slowHashId(lookupId),
    digest: bytesToHex(out),
    algorithm: scheme,
    pepperId: digesters.current.pepperId,
    hint: '',
    legacyHash: value,
  }
}

/** The 32 bytes of a SHA-256 in one of the encodings other systems store. */
function sha256Bytes(encoding: string, value: string): Uint8Array {
  if (!SHA256_ENCODINGS[encoding]!.test(value)) throw new InvalidInputError('digest.value', `is not a SHA-256 in ${encoding.slice(7)}`)
  if (encoding === 'sha256-hex') return hexToBytes(value.toLowerCase())
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/').replace(/=$/, '')
  const bytes = Uint8Array.from(atob(`${base64}=`), (c) => c.charCodeAt(0))
  if (bytes.length !== 32) throw new InvalidInputError('digest.value', 'does not decode to 32 bytes')
  return bytes
}
