export { SqliteKeyStore } from './store.js'
export type { DeprecatedSqliteKeyStoreOptions, SqliteKeyStoreOptions } from './options.js'
export { KeyStoreSchemaError, type SchemaErrorCode } from '@keyward/core/store'
export {
  sqliteMigrationSql,
  MIGRATIONS as SQLITE_MIGRATIONS,
  LATEST_VERSION as SQLITE_SCHEMA_VERSION,
  type SqliteMigration,
} from './migrations.js'
