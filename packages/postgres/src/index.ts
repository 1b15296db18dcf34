export { PostgresKeyStore } from './store.js'
export type { PostgresKeyStoreOptions } from './options.js'
export { KeyStoreSchemaError, type SchemaErrorCode } from '@keyward/core/store'
export {
  postgresMigrationSql,
  MIGRATIONS as POSTGRES_MIGRATIONS,
  LATEST_VERSION as POSTGRES_SCHEMA_VERSION,
  type PostgresMigration,
} from './migrations.js'
export { CHANNEL as POSTGRES_CHANNEL } from './names.js'
