import { runUsageExactness } from '@keyward/core/testing'
import type { PostgresKeyStore } from '@keyward/postgres'
import { afterAll, describe } from 'vitest'
import { freshSchema, freshStore } from './helpers.js'

describe('PostgresKeyStore usage', () => {
  // One fresh schema; each instance (two verifying, then a reader) on a pool of its own.
  const namespace = freshSchema()
  const opened: PostgresKeyStore[] = []
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()))
  })
  runUsageExactness('PostgresKeyStore', {
    open: () => {
      const store = freshStore({ namespace })
      opened.push(store)
      return store
    },
  })
})
