export { D1KeyStore, type D1DatabaseLike, type D1KeyStoreOptions, type D1StatementLike } from './store.js'
export { d1MigrationSql } from './schema.js'
