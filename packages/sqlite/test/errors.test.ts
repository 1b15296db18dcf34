import { writeFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { ClosedError, StoreUnavailableError } from '@keyward/core/store'
import { sampleRecord } from '@keyward/core/testing'
import { SqliteKeyStore } from '@keyward/sqlite'
import { describe, expect, it } from 'vitest'
import { dbPath, tempDir } from './helpers.js'

const dir = tempDir()

/** Every operation of the store, each called once. */
function everyOperation(store: SqliteKeyStore): Array<[string, () => Promise<unknown>]> {
  const record = sampleRecord()
  const audit = {
    id: 'a1',
    at: new Date(),
    action: 'key.leaked',
    prefix: 'p',
    keyId: null,
    ownerId: null,
    actor: null,
    fields: null,
  } as const
  return [
    ['insert', () => store.insert(record)],
    ['findById', () => store.findById(record.id)],
    ['update', () => store.update(record.id, { name: 'renamed' })],
    ['delete', () => store.delete(record.id)],
    ['list', () => store.list({ limit: 10, includeRevoked: true })],
    ['touch', () => store.touch([{ id: record.id, lastUsedAt: new Date() }])],
    ['incrementCounter', () => store.incrementCounter('c', 1, 1_000, Date.now())],
    ['spendCredits', () => store.spendCredits(record.id, 1, Date.now())],
    ['subscribe', () => store.subscribe(() => undefined)],
    ['addUsage', () => store.addUsage([{ keyId: record.id, ownerId: null, prefix: 'p', minute: 0, outcome: 'ok', count: 1 }])],
    ['readUsage', () => store.readUsage({ prefix: 'p', granularity: 'day', from: 0, to: 1 })],
    ['pruneUsage', () => store.pruneUsage({ minute: 0, hour: 0, day: 0 })],
    ['appendAudit', () => store.appendAudit([audit])],
    ['listAudit', () => store.listAudit({ prefix: 'p', limit: 10 })],
    ['pruneAudit', () => store.pruneAudit(0)],
    [
      'recordNotifications',
      () => store.recordNotifications([{ id: 'n', type: 't', keyId: null, payload: '{}', createdAt: 0, pending: true }]),
    ],
    ['claimNotifications', () => store.claimNotifications('h', 0, 1_000, 10)],
    ['settleNotification', () => store.settleNotification('n', { delivered: true })],
    ['pruneNotifications', () => store.pruneNotifications(0)],
    ['acquireLease', () => store.acquireLease('l', 'h', 1_000, 0)],
  ]
}

describe('SqliteKeyStore errors', () => {
  it.each([
    ['a file it opened', () => new SqliteKeyStore(dbPath(dir))],
    ['a Database passed in (which stays open)', () => new SqliteKeyStore({ connection: new Database(dbPath(dir)) })],
  ])('after close(), every operation on %s rejects with ClosedError', async (_label, open) => {
    const store = open()
    await store.close()
    for (const [name, operation] of everyOperation(store)) await expect(operation(), name).rejects.toBeInstanceOf(ClosedError)
    expect(() => store.migrate()).toThrow(ClosedError)
    expect(() => store.schemaVersion).toThrow(ClosedError)
  })

  it('a file that is not a database gives StoreUnavailableError (open) with the driver error as cause', () => {
    const file = dbPath(dir)
    writeFileSync(file, 'not a database, just text that is long enough to have a header '.repeat(20))
    let error: unknown
    try {
      new SqliteKeyStore(file)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect(error).toMatchObject({
      code: 'store_unavailable',
      operation: 'open',
      message: expect.stringMatching(/^The key store failed during open: .*not a database/),
    })
    expect((error as Error).cause).toMatchObject({ code: 'SQLITE_NOTADB' })
  })

  it('a write lock held past requestTimeoutMs gives StoreUnavailableError naming the operation, SQLITE_BUSY as cause', async () => {
    const file = dbPath(dir)
    const store = new SqliteKeyStore({ connection: file, requestTimeoutMs: 30, managementTimeoutMs: 30 })
    const other = new Database(file)
    other.exec('BEGIN IMMEDIATE')
    try {
      const counter = store.incrementCounter('c', 1, 1_000, Date.now())
      await expect(counter).rejects.toBeInstanceOf(StoreUnavailableError)
      await expect(counter).rejects.toMatchObject({ operation: 'incrementCounter', cause: { code: 'SQLITE_BUSY' } })
      await expect(store.insert(sampleRecord())).rejects.toMatchObject({ operation: 'insert', cause: { code: 'SQLITE_BUSY' } })
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    await store.insert(sampleRecord())
    await store.close()
  })

  it('a duplicate id is still DuplicateKeyIdError', async () => {
    const store = new SqliteKeyStore(':memory:')
    const record = sampleRecord()
    await store.insert(record)
    await expect(store.insert(record)).rejects.toMatchObject({ name: 'DuplicateKeyIdError', code: 'duplicate_id' })
    await store.close()
  })
})
