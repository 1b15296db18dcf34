import Database from 'better-sqlite3'
import { sampleRecord } from '@keyward/core/testing'
import { SqliteKeyStore } from '@keyward/sqlite'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { dbPath, tempDir } from './helpers.js'

const dir = tempDir()

/** How long an insert waits for another connection's write lock before it rejects. */
async function insertWaitMs(store: SqliteKeyStore, file: string): Promise<number> {
  const other = new Database(file)
  other.exec('BEGIN IMMEDIATE')
  const t0 = performance.now()
  try {
    await expect(store.insert(sampleRecord())).rejects.toMatchObject({ code: 'store_unavailable' })
    return performance.now() - t0
  } finally {
    other.exec('ROLLBACK')
    other.close()
  }
}

describe('SqliteKeyStore options', () => {
  // Each old name warns once per process: start this file from none warned.
  beforeAll(() => (globalThis as Record<symbol, Set<string> | undefined>)[Symbol.for('keyward.renamed-options')]?.clear())
  afterEach(() => vi.restoreAllMocks())

  it('the previous names (database, busyTimeoutMs) still work, each warning once per process, naming the new option', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const file = dbPath(dir)
    const store = new SqliteKeyStore({ database: file, busyTimeoutMs: 300 })
    expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([
      '@keyward/sqlite: the option "database" is deprecated and will be removed in the next release; use "connection".',
      '@keyward/sqlite: the option "busyTimeoutMs" is deprecated and will be removed in the next release; use "managementTimeoutMs".',
    ])
    expect(store.db.name).toBe(file)
    const waited = await insertWaitMs(store, file)
    expect(waited).toBeGreaterThanOrEqual(250)
    expect(waited).toBeLessThan(1_500)
    await store.close()
    new SqliteKeyStore({ database: file, busyTimeoutMs: 300 }).close()
    expect(warn).toHaveBeenCalledTimes(2)
  })

  it('the new names work and do not warn', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const file = dbPath(dir)
    const store = new SqliteKeyStore({ connection: file, managementTimeoutMs: 40, requestTimeoutMs: 10 })
    expect(store.db.name).toBe(file)
    expect(await insertWaitMs(store, file)).toBeLessThan(250)
    await store.close()
    expect(warn).not.toHaveBeenCalled()
  })

  it('an old name given beside its new one is a TypeError (one of them would be ignored)', () => {
    const file = dbPath(dir)
    expect(() => new SqliteKeyStore({ connection: file, database: file } as never)).toThrow(
      new TypeError('@keyward/sqlite: pass "connection" only ("database" is the old name)'),
    )
  })
})
