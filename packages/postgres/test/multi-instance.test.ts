import { fileURLToPath } from 'node:url'
import { describe } from 'vitest'
import { multiInstanceTests } from '../../../scripts/test-support/instances.js'
import { freshSchema, PG_URL, freshStore } from './helpers.js'

const fixture = fileURLToPath(new URL('./fixtures/instance.mjs', import.meta.url))

describe('two processes on one PostgreSQL database', () => {
  const schema = freshSchema()
  void freshStore({ namespace: schema }).close() // registers the schema to drop after the file; the instances migrate it
  multiInstanceTests(fixture, () => ({ connection: PG_URL, namespace: schema, max: 2 }))
})
