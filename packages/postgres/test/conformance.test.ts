import { runKeyStoreConformance } from '@keyward/core/testing'
import { freshStore } from './helpers.js'

runKeyStoreConformance('PostgresKeyStore', () => freshStore(), {
  dispose: (store) => store.close?.(),
})
