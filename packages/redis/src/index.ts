export { RedisKeyStore, type RedisKeyStoreOptions } from './store.js'
export { KeyStoreSchemaError, type SchemaErrorCode } from '@keyward/core'
