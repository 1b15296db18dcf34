import type { BcryptCompare, SlowHashes } from './slow-hashes.js'

/** Options of `createKeyward` for keys that come from another system. */
export interface LegacyOptions {
  /**
   * Keys issued by another system keep working here after `keyward.import`: they verify through the
   * same path and adapters, and are re-digested under the current pepper on their first successful
   * use. `prefixes` are how those keys start (`sk_live_`, prefixed-api-key's `mycompany`); any other
   * string that is not this deployment's format is still refused with no store call.
   * @example legacy: { prefixes: ['sk_live_', 'ba_'] }
   */
  legacy?: {
    prefixes: string[]
    /**
     * For keys imported as salted slow hashes: the id the other system looked a key up by, read
     * from the key (keys it returns an id for are looked up by that id alone).
     * @example (key) => key.split('.')[0]
     */
    lookupId?: (key: string) => string | null | undefined
    /** bcrypt's compare (core has no bcrypt): `(key, hash) => bcryptjs.compare(key, hash)`. */
    bcrypt?: BcryptCompare
    /**
     * argon2id, scrypt and PBKDF2, for keys imported as PHC strings: `slowHashes` from
     * `@keyward/core/slow-hashes` (an entry of its own, so deployments that import none do not ship
     * them). Without it such a key is refused by `import` (`InvalidInputError` on `digest.algorithm`),
     * and one already imported verifies as `store_unavailable`, with a `store.error` event naming the entry.
     * @example import { slowHashes } from '@keyward/core/slow-hashes' … legacy: { prefixes: ['sk_'], lookupId, slowHashes }
     */
    slowHashes?: SlowHashes
  }
}

/** Where an import stands: `keyward.migrationStatus()`, `keyward migration status` in the CLI. */
export interface MigrationStatus {
  /** Keys brought in with `keyward.import` (revoked ones included). */
  imported: number
  /** Imported keys already re-digested here (on their first successful use, or imported as plaintext). */
  upgraded: number
  /** Imported keys that still verify by the other system's digest. */
  legacy: number
  /** Imported keys not used since their import. */
  unusedSinceImport: number
}
