/** The salted slow hashes `keyward.import` takes, as the record's `algorithm`. */
export type SlowScheme = 'legacy-bcrypt' | 'legacy-scrypt' | 'legacy-argon2id' | 'legacy-pbkdf2'

/** The slow hashes stored as PHC strings, checked by `@keyward/core/slow-hashes` (bcrypt comes from the application). */
export type PhcScheme = Exclude<SlowScheme, 'legacy-bcrypt'>

/**
 * Checks a key against a bcrypt hash (`$2a$`/`$2b$`/`$2y$`). Core has no bcrypt of its own (its one
 * dependency, `@noble/hashes`, has none): pass a well-kept one, such as `bcryptjs`'s `compare`.
 * @example legacy: { prefixes: ['sk_'], lookupId: (key) => key.slice(3, 11), bcrypt: (key, hash) => bcrypt.compare(key, hash) }
 */
export type BcryptCompare = (key: string, hash: string) => boolean | Promise<boolean>

/** Another system's slow-hash string, parsed: checks a key against it. */
export interface SlowHashCheck {
  check(key: string, bcrypt: BcryptCompare | undefined): Promise<boolean>
}

/**
 * argon2id, scrypt and PBKDF2 for keys imported as PHC strings: the `slowHashes` that
 * `@keyward/core/slow-hashes` exports, for `createKeyward({ legacy: { slowHashes } })`. An entry of its
 * own so that a deployment that imports no such key does not ship them (about 9.5 KiB gzipped).
 */
export interface SlowHashes {
  /** Parse a PHC string of `scheme` into a check, or say why it is refused. */
  parse(scheme: PhcScheme, text: string): SlowHashCheck | string
}

const BCRYPT_RE = /^\$2[abxy]\$(0[4-9]|1[0-9]|2[0-9]|3[01])\$[./A-Za-z0-9]{53}$/

/** How to give an instance argon2id, scrypt and PBKDF2, for the errors that say it lacks them. */
export const SLOW_HASHES_HINT = "import { slowHashes } from '@keyward/core/slow-hashes' and pass createKeyward({ legacy: { slowHashes } })"

/** How to give an instance bcrypt, for the errors that say it lacks it. */
export const BCRYPT_HINT = 'pass createKeyward({ legacy: { bcrypt: (key, hash) => compare(key, hash) } }), e.g. bcryptjs.compare'

/**
 * Parse another system's slow-hash string into a check, or say why it is refused: bcrypt's own
 * 60-character form here (the application's `legacy.bcrypt` checks it), PHC strings through
 * `phc` (`@keyward/core/slow-hashes`; without it, refused).
 */
export function parseSlowHash(scheme: SlowScheme, text: string, phc: SlowHashes | undefined): SlowHashCheck | string {
  if (typeof text !== 'string' || text.length > 512) return 'must be the stored hash string'
  if (scheme !== 'legacy-bcrypt') return phc === undefined ? `needs the slow hashes: ${SLOW_HASHES_HINT}` : phc.parse(scheme, text)
  return BCRYPT_RE.test(text)
    ? { check: async (key, bcrypt) => bcrypt !== undefined && (await bcrypt(key, text)) === true }
    : 'is not a bcrypt hash ($2b$<cost>$ and 53 characters)'
}
