export {
  RedisKeyStore,
  SCHEMA_VERSION as REDIS_SCHEMA_VERSION,
  type DeprecatedRedisKeyStoreOptions,
  type RedisKeyStoreOptions,
} from './store.js'
export { KeyStoreSchemaError, type SchemaErrorCode } from '@keyward/core/store'
