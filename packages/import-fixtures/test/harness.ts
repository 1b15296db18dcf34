import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKeyward, type Keyward, type KeywardOptions } from '@keyward/core'
import { apiKeyAuth } from '@keyward/express'
import { SqliteKeyStore } from '@keyward/sqlite'
import express from 'express'
import { afterAll, onTestFinished } from 'vitest'

/** A fresh directory for this test file's databases, removed after it. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-import-fixtures-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** One Keyward instance on the shared SQLite file, served by Express on a real socket. */
export interface Served {
  keyward: Keyward
  store: SqliteKeyStore
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
 * A deployment that accepts the other system's keys as `legacy` declares them (`prefixes`, and for
 * slow hashes `lookupId` and `bcrypt`), in a fresh SQLite file of `dir`, with a 32-byte pepper.
 * Call it inside a test: every instance it opens is closed when that test finishes.
 */
export function deployment(dir: string, legacy: NonNullable<KeywardOptions['legacy']>): Deployment {
  const file = join(dir, `keyward-${randomBytes(6).toString('hex')}.db`)
  const pepper = randomBytes(32)
  const opened: Served[] = []
  onTestFinished(async () => {
    for (const served of opened) await served.close()
  })
  return {
    async open() {
      const store = new SqliteKeyStore(file)
      const keyward = createKeyward({ prefix: 'acme_live', store, pepper, legacy })
      const served = await serve(keyward, store)
      opened.push(served)
      return served
    },
  }
}

async function serve(keyward: Keyward, store: SqliteKeyStore): Promise<Served> {
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
      await store.close()
    },
  }
}
