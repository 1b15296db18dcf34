export { D1KeyStore } from './store.js'
export type { D1DatabaseLike, D1KeyStoreOptions, D1StatementLike } from './options.js'
export { d1MigrationSql } from './schema.js'
