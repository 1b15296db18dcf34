import { KeyStoreSchemaError, type SchemaErrorCode } from '@keyward/core/store'
import type { Redis } from 'ioredis'
import { evalScript } from './eval-script.js'

/** 2: per-deployment-prefix list indexes (records of version 1 are indexed when a store first opens it). */
export const SCHEMA_VERSION = 2
/** Records indexed per script call while upgrading from version 1 (bounds how long Redis is busy). */
const UPGRADE_BATCH = 500
/** Named in schema errors: which package to upgrade. */
const SCHEMA_ERROR_STORE = { packageName: '@keyward/redis' }

export function schemaError(ns: string, code: SchemaErrorCode, version: number): KeyStoreSchemaError {
  return new KeyStoreSchemaError(code, version, SCHEMA_VERSION, `namespace "${ns}"`, SCHEMA_ERROR_STORE)
}

/** The version marker of the data under namespace `ns` (0 when none). */
export async function readVersion(redis: Redis, ns: string): Promise<number> {
  const version = Number(await redis.get(`${ns}schema`))
  return Number.isInteger(version) && version >= 1 ? version : 0
}

/** Stamp a new namespace with {@link SCHEMA_VERSION}, or bring one of version 1 up to it. */
export async function migrateSchema(redis: Redis, ns: string): Promise<void> {
  const key = `${ns}schema`
  await redis.set(key, String(SCHEMA_VERSION), 'NX')
  const version = Number(await redis.get(key))
  if (!(version >= 1)) throw schemaError(ns, 'schema_missing', 0)
  if (version > SCHEMA_VERSION) throw schemaError(ns, 'schema_too_new', version)
  if (version === 1) {
    // Index the records of version 1 by deployment prefix, in batches. Idempotent, so several
    // instances upgrading at once are safe; records written meanwhile index themselves.
    for (let after = '+'; after !== ''; ) after = await evalScript<string>(redis, 'INDEX_BY_PREFIX', [], [ns, after, UPGRADE_BATCH])
    await evalScript(redis, 'SET_SCHEMA', [key], ['1', String(SCHEMA_VERSION)])
  }
}
