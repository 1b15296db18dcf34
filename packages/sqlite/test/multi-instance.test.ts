import { fileURLToPath } from 'node:url'
import { createKeyward } from '@keyward/core'
import { SqliteKeyStore } from '@keyward/sqlite'
import { describe, expect, it } from 'vitest'
import { multiInstanceTests, spawnInstance } from '../../../scripts/test-support/instances.js'
import { dbPath, tempDir } from './helpers.js'

const fixture = fileURLToPath(new URL('./fixtures/instance.mjs', import.meta.url))
const dir = tempDir()

describe('two processes on one SQLite file', () => {
  const file = dbPath(dir)
  multiInstanceTests(fixture, () => ({ connection: file, pollIntervalMs: 100 }))
})

describe('a running server and a CLI-like process on one SQLite file', () => {
  it('refuses within 1 s a key revoked by another process, while caching it', async () => {
    const file = dbPath(dir)
    const store = new SqliteKeyStore(file)
    const server = createKeyward({ prefix: 'multi_test', store, pepper: 'multi-instance-test-pepper-0123456789abcdef', throttle: false })
    const cli = await spawnInstance(fixture, { store: { connection: file } })
    try {
      const { key, id } = await cli.call<{ key: string; id: string }>('create')
      expect(await server.verify(key)).toMatchObject({ ok: true })
      await cli.call('revoke', id)
      const revokedAt = performance.now()
      let result = await server.verify(key)
      while (result.ok && performance.now() - revokedAt < 3_000) {
        await new Promise((r) => setTimeout(r, 10))
        result = await server.verify(key)
      }
      expect(result).toMatchObject({ ok: false, code: 'revoked' })
      expect(performance.now() - revokedAt).toBeLessThan(1_000)
    } finally {
      await cli.close()
      await server.close()
      await store.close()
    }
  })

  it('is a real cross-process test: the poller is what tells the server', async () => {
    const file = dbPath(dir)
    const store = new SqliteKeyStore({ connection: file, pollIntervalMs: 60_000 })
    const server = createKeyward({ prefix: 'multi_test', store, pepper: 'multi-instance-test-pepper-0123456789abcdef', throttle: false })
    const cli = await spawnInstance(fixture, { store: { connection: file } })
    try {
      const { key, id } = await cli.call<{ key: string; id: string }>('create')
      expect(await server.verify(key)).toMatchObject({ ok: true })
      await cli.call('revoke', id)
      await new Promise((r) => setTimeout(r, 500))
      expect(await server.verify(key)).toMatchObject({ ok: true }) // no poll yet: still cached
    } finally {
      await cli.close()
      await server.close()
      await store.close()
    }
  })
})
