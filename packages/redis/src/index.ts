export {
  RedisKeyStore,
  SCHEMA_VERSION as REDIS_SCHEMA_VERSION,
  type ChangeChannel,
  type DeprecatedRedisKeyStoreOptions,
  type RedisClusterConnection,
  type RedisKeyStoreOptions,
} from './store.js'
export { KeyStoreSchemaError, type SchemaErrorCode } from '@keyward/core/store'
