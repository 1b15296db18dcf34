import type { DigesterSet } from '../lib/peppers.js'
import type { LegacyOptions } from './api.js'
import { LegacyLookup } from './lookup.js'

/**
 * Apply `createKeyward({ legacy })`: the ids of other systems' keys (null without `legacy`), and the
 * slow hashes the application hands in (bcrypt's compare, `@keyward/core/slow-hashes`).
 */
export function configureLegacy(legacy: LegacyOptions['legacy'], idLength: number, digesters: DigesterSet): LegacyLookup | null {
  if (legacy === undefined) return null
  const lookup = new LegacyLookup(legacy?.prefixes, idLength, legacy?.lookupId)
  if (legacy.bcrypt !== undefined && typeof legacy.bcrypt !== 'function')
    throw new TypeError('legacy.bcrypt must be a function (key, hash) => boolean, such as bcryptjs.compare')
  if (legacy.slowHashes !== undefined && typeof (legacy.slowHashes as { parse?: unknown } | null)?.parse !== 'function')
    throw new TypeError("legacy.slowHashes must be the slowHashes of '@keyward/core/slow-hashes'")
  digesters.legacyEnabled = true
  digesters.bcrypt = legacy.bcrypt
  digesters.slowHashes = legacy.slowHashes
  return lookup
}
