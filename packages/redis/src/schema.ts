import { KeyStoreSchemaError, type SchemaErrorCode } from '@keyward/core/store'
import type { RedisClient } from './client.js'
import type { Layout } from './layout.js'
import { moveLegacyLayout } from './migrate-layout.js'

/**
 * 3: the sharded layout (`layout.ts`), its marker in the control slot. 1 and 2 (one key space under the
 * namespace, marker `<ns>schema`) are moved to it by {@link migrateSchema}.
 */
export const SCHEMA_VERSION = 3
/** Named in schema errors: which package to upgrade. */
const SCHEMA_ERROR_STORE = { packageName: '@keyward/redis' }

export function schemaError(ns: string, code: SchemaErrorCode, version: number): KeyStoreSchemaError {
  return new KeyStoreSchemaError(code, version, SCHEMA_VERSION, `namespace "${ns}"`, SCHEMA_ERROR_STORE)
}

const legacyMarker = (layout: Layout): string => `${layout.ns}schema`

function parse(value: string | null): number {
  const version = Number(value)
  return Number.isInteger(version) && version >= 1 ? version : 0
}

/**
 * The version of the data (0 when none): the control slot's marker, else the marker of the layout
 * before 3 (an interrupted move, which set that marker to 3 to shut out older releases, reads as 2).
 */
export async function readVersion(redis: RedisClient, layout: Layout): Promise<number> {
  const version = parse(await redis.get(layout.control('schema')))
  if (version > 0) return version
  const legacy = parse(await redis.get(legacyMarker(layout)))
  return legacy === 0 ? 0 : Math.min(legacy, SCHEMA_VERSION - 1)
}

/**
 * Stamp a new namespace with {@link SCHEMA_VERSION}, or move data of versions 1 and 2 to the sharded
 * layout: first their marker is set to 3 (older releases then refuse the namespace as too new), then
 * every key of the old layout is moved (idempotent and resumable: an instance cut off half way, or
 * several at once, leave nothing behind or twice), then the new marker is set. Run again, it moves
 * whatever an older release still wrote under the old layout.
 */
export async function migrateSchema(redis: RedisClient, layout: Layout): Promise<void> {
  const marker = layout.control('schema')
  const legacy = await redis.get(legacyMarker(layout))
  if (legacy !== null) {
    const version = parse(legacy)
    if (version === 0) throw schemaError(layout.ns, 'schema_missing', 0)
    if (version > SCHEMA_VERSION) throw schemaError(layout.ns, 'schema_too_new', version)
    await redis.set(legacyMarker(layout), String(SCHEMA_VERSION))
    await moveLegacyLayout(redis, layout)
  }
  await redis.set(marker, String(SCHEMA_VERSION), 'NX')
  const version = parse(await redis.get(marker))
  if (version === 0) throw schemaError(layout.ns, 'schema_missing', 0)
  if (version > SCHEMA_VERSION) throw schemaError(layout.ns, 'schema_too_new', version)
}
