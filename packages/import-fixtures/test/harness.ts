import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKeyward, type Keyward, type KeyStore, MemoryKeyStore } from '@keyward/core'
import { apiKeyAuth } from '@keyward/express'
import { SqliteKeyStore } from '@keyward/sqlite'
import express from 'express'
import { afterAll } from 'vitest'

/** A fresh directory for this test file's databases, removed after it. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-import-fixtures-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** One Keyward instance on the shared SQLite file, served by Express on a real socket. */
export interface Served {
  keyward: Keyward
  store: KeyStore
  /** `GET /whoami` with `Authorization: Bearer <key>`: the status and, on 200, the verified key's id. */
  request(key: string): Promise<{ status: number; id?: string }>
  close(): Promise<void>
}

/** Where imported keys are kept: one SQLite file and one pepper, opened by as many instances as a test wants. */
export interface Deployment {
  /** A new Keyward instance (its own store connection, cache and server) on the same file and pepper. */
  open(): Promise<Served>
}

/**
 * Where the deployment keeps keys. `sqlite` is the goal (a file each instance opens on its own);
 * `memory` (one MemoryKeyStore the instances share) stands in while @keyward/sqlite lacks the
 * `imported_at` / `legacy_hash` columns.
 */
const STORE: 'sqlite' | 'memory' = 'memory'

/** A deployment that accepts keys starting with `legacyPrefixes`, in a fresh SQLite file of `dir`. */
export function deployment(dir: string, legacyPrefixes: string[]): Deployment {
  const file = join(dir, `keyward-${randomBytes(6).toString('hex')}.db`)
  const memory = new MemoryKeyStore()
  const pepper = randomBytes(32)
  const opened: Served[] = []
  afterAll(async () => {
    for (const served of opened) await served.close()
    await memory.close()
  })
  return {
    async open() {
      const store = STORE === 'sqlite' ? new SqliteKeyStore(file) : memory
      const keyward = createKeyward({ prefix: 'acme_live', store, pepper, legacy: { prefixes: legacyPrefixes } })
      const served = await serve(keyward, store)
      opened.push(served)
      return served
    },
  }
}

async function serve(keyward: Keyward, store: KeyStore): Promise<Served> {
  const app = express()
  app.use(apiKeyAuth(keyward))
  app.get('/whoami', (req, res) => {
    res.json({ id: req.apiKey?.id })
  })
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/whoami`
  let closed = false
  return {
    keyward,
    store,
    async request(key) {
      const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } })
      const body = (await response.json()) as { id?: string }
      return response.status === 200 ? { status: 200, ...(body.id !== undefined && { id: body.id }) } : { status: response.status }
    },
    async close() {
      if (closed) return
      closed = true
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await keyward.close()
      if (store instanceof SqliteKeyStore) await store.close()
    },
  }
}
