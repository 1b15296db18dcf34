import { runUsageExactness } from '@keyward/core/testing'
import { SqliteKeyStore } from '@keyward/sqlite'
import { afterAll, describe } from 'vitest'
import { dbPath, tempDir } from './helpers.js'

describe('SqliteKeyStore usage', () => {
  // One file; each instance (two verifying, then a reader) on a connection of its own.
  const file = dbPath(tempDir())
  const opened: SqliteKeyStore[] = []
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()))
  })
  runUsageExactness('SqliteKeyStore', {
    open: () => {
      const store = new SqliteKeyStore(file)
      opened.push(store)
      return store
    },
  })
})
