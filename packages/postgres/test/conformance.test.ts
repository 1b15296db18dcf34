import { runKeyStoreConformance } from '@keyward/core/testing'
import type { PostgresKeyStore } from '@keyward/postgres'
import { freshStore } from './helpers.js'

runKeyStoreConformance('PostgresKeyStore', () => freshStore(), {
  dispose: (store) => store.close?.(),
  openPeer: (store) => freshStore({ namespace: (store as PostgresKeyStore).namespace }),
})
