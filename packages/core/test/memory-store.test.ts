import { runKeyStoreConformance } from '@keyward/core/testing'
import { MemoryKeyStore } from '@keyward/core'

runKeyStoreConformance('MemoryKeyStore', () => new MemoryKeyStore(), {
  dispose: (store) => store.close?.(),
})
