/**
 * `@keyward/core/slow-hashes`: argon2id, scrypt and PBKDF2 (with SHA-512) from `@noble/hashes`, for
 * keys imported from another system as PHC strings. Opt-in, so that a deployment importing no such
 * key does not ship them: an instance without them refuses to import such a key, and answers
 * `store_unavailable` (with a `store.error` event naming this entry) for one already imported.
 */
import { parsePhcHash } from './legacy/phc-hashes.js'
import type { SlowHashes } from './legacy/slow-hashes.js'

export type { PhcScheme, SlowHashCheck, SlowHashes } from './legacy/slow-hashes.js'

/**
 * The slow hashes `createKeyward({ legacy: { slowHashes } })` takes, to import and verify keys
 * another system stored as argon2id, scrypt or PBKDF2 PHC strings (bcrypt is `legacy.bcrypt`).
 * @example
 * import { slowHashes } from '@keyward/core/slow-hashes'
 * const keyward = createKeyward({ prefix: 'acme_live', store, pepper, legacy: { prefixes: ['sk_'], lookupId, slowHashes } })
 */
export const slowHashes: SlowHashes = Object.freeze({ parse: parsePhcHash })
