import { runKeyStoreConformance } from '@keyward/core/testing'
import { SqliteKeyStore } from '@keyward/sqlite'
import { dbPath, tempDir } from './helpers.js'

const dir = tempDir()

runKeyStoreConformance('SqliteKeyStore (file, WAL)', () => new SqliteKeyStore(dbPath(dir)), {
  dispose: (store) => store.close?.(),
  // Another connection on the same file, as the CLI or a second server would open it.
  openPeer: (store) => new SqliteKeyStore((store as SqliteKeyStore).db.name),
})

runKeyStoreConformance('SqliteKeyStore (:memory:)', () => new SqliteKeyStore(':memory:'), {
  dispose: (store) => store.close?.(),
})
