import { KeyStoreSchemaError } from '@keyward/core/store'
import type { D1DatabaseLike } from './options.js'
import { LATEST_VERSION, migrationStatements, migrationsTable, q } from './schema.js'

/** Named in schema errors: which package to upgrade, and which function prints its SQL. */
const SCHEMA_ERROR_STORE = { packageName: '@keyward/d1', migrationSql: 'd1MigrationSql' }

/** The schema version of keys table `table` (0 when none). */
export async function readSchemaVersion(db: D1DatabaseLike, table: string): Promise<number> {
  const exists = await db
    .prepare(`SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = ?`)
    .bind(migrationsTable(table))
    .first()
  if (exists === null) return 0
  const row = await db.prepare(`SELECT COALESCE(MAX(version), 0) AS v FROM ${q(migrationsTable(table))}`).first<{ v: number }>()
  return row?.v ?? 0
}

function schemaError(table: string, code: 'schema_too_new' | 'schema_missing' | 'schema_outdated', version: number): KeyStoreSchemaError {
  return new KeyStoreSchemaError(code, version, LATEST_VERSION, `table "${table}"`, SCHEMA_ERROR_STORE)
}

/** Throw the `KeyStoreSchemaError` that says why, unless the schema of `table` is current (for `migrate: false`). */
export async function checkSchema(db: D1DatabaseLike, table: string): Promise<void> {
  const version = await readSchemaVersion(db, table)
  if (version !== LATEST_VERSION)
    throw schemaError(table, version > LATEST_VERSION ? 'schema_too_new' : version === 0 ? 'schema_missing' : 'schema_outdated', version)
}

/** Apply the pending migrations of `table` in one batch (a transaction); a no-op when the schema is current. */
export async function migrateTable(db: D1DatabaseLike, table: string): Promise<void> {
  try {
    const version = await readSchemaVersion(db, table)
    if (version > LATEST_VERSION) throw schemaError(table, 'schema_too_new', version)
    if (version === LATEST_VERSION) return
    // One batch is one transaction: a schema is there whole or not at all.
    await db.batch(migrationStatements(table, version, Date.now()).map((sql) => db.prepare(sql)))
  } catch (error) {
    // Another isolate migrating at the same moment wins (an ALTER TABLE cannot be IF NOT EXISTS):
    // this batch rolled back, and the schema is current all the same.
    if (
      await readSchemaVersion(db, table).then(
        (v) => v === LATEST_VERSION,
        () => false,
      )
    )
      return
    throw error
  }
}
