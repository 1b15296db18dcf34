import { runKeyStoreConformance } from '@keyward/core/testing'
import { freshStore } from './helpers.js'

runKeyStoreConformance('RedisKeyStore', () => freshStore(), {
  dispose: (store) => store.close?.(),
})
