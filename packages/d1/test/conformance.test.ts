import type { KeyStore } from '@keyward/core/store'
import { runKeyStoreConformance } from '@keyward/core/testing'
import { remoteStore } from './remote.js'

let tables = 0
runKeyStoreConformance('D1KeyStore (inside workerd)', () => remoteStore(`keys_${++tables}`), {
  dispose: (store) => store.close?.(),
  // Another D1KeyStore on the same table, as a second isolate would open it.
  openPeer: (store) => remoteStore((store as KeyStore & { table: string }).table),
  // Every store call crosses from the test process into workerd (~12 ms each on a loaded 2-core box).
  heavyTestTimeoutMs: 120_000,
})
