import type Database from 'better-sqlite3'
import { KeyStoreSchemaError } from '@keyward/core/store'
import { createMigrationsTableSql, LATEST_VERSION, MIGRATIONS, migrationsTable, q } from './migrations.js'

type Db = Database.Database

/** Named in schema errors: which package to upgrade, and which function prints its SQL. */
const SCHEMA_ERROR_STORE = { packageName: '@keyward/sqlite', migrationSql: 'sqliteMigrationSql' }

/** The schema version of keys table `table` in `db` (0 when none). */
export function schemaVersion(db: Db, table: string): number {
  const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(migrationsTable(table))
  if (!exists) return 0
  return (db.prepare(`SELECT COALESCE(MAX(version), 0) AS v FROM ${q(migrationsTable(table))}`).get() as { v: number }).v
}

/** Check the schema when the store opens: migrate it when `migrate`, else fail unless it is current. */
export function prepareSchema(db: Db, table: string, migrate: boolean): void {
  const version = schemaVersion(db, table)
  if (version > LATEST_VERSION)
    throw new KeyStoreSchemaError('schema_too_new', version, LATEST_VERSION, `table "${table}"`, SCHEMA_ERROR_STORE)
  if (version === LATEST_VERSION) return
  if (!migrate)
    throw new KeyStoreSchemaError(
      version === 0 ? 'schema_missing' : 'schema_outdated',
      version,
      LATEST_VERSION,
      `table "${table}"`,
      SCHEMA_ERROR_STORE,
    )
  migrateSchema(db, table)
}

/** Apply the pending migrations of keys table `table` in one IMMEDIATE transaction. */
export function migrateSchema(db: Db, table: string): void {
  // IMMEDIATE: two processes opening a new file at once migrate one after the other.
  db.transaction(() => {
    db.exec(createMigrationsTableSql(table))
    const version = schemaVersion(db, table)
    if (version > LATEST_VERSION)
      throw new KeyStoreSchemaError('schema_too_new', version, LATEST_VERSION, `table "${table}"`, SCHEMA_ERROR_STORE)
    const record = db.prepare(`INSERT INTO ${q(migrationsTable(table))} (version, name, applied_at) VALUES (?, ?, ?)`)
    for (const m of MIGRATIONS) {
      if (m.version <= version) continue
      db.exec(m.sql(table))
      record.run(m.version, m.name, Date.now())
    }
  }).immediate()
}
