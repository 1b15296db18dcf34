import { runKeyStoreConformance } from '@keyward/core/testing'
import type { RedisKeyStore } from '@keyward/redis'
import { freshStore } from './helpers.js'

runKeyStoreConformance('RedisKeyStore', () => freshStore(), {
  dispose: (store) => store.close?.(),
  openPeer: (store) => freshStore({ namespace: (store as RedisKeyStore).namespace }),
})
