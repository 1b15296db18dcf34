import { fileURLToPath } from 'node:url'
import { describe } from 'vitest'
import { multiInstanceTests } from '../../../scripts/test-support/instances.js'
import { freshPrefix, freshStore, REDIS_URL } from './helpers.js'

const fixture = fileURLToPath(new URL('./fixtures/instance.mjs', import.meta.url))

describe('two processes on one Redis', () => {
  const prefix = freshPrefix()
  void freshStore({ namespace: prefix }).close() // registers the prefix for cleanup
  multiInstanceTests(fixture, () => ({ connection: REDIS_URL, namespace: prefix }))
})
