import { sampleRecord } from '@keyward/core/testing'
import { PostgresKeyStore, postgresMigrationSql } from '@keyward/postgres'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { sleep } from '../../../test/eventually.js'
import { admin, freshSchema, freshStore, PG_URL } from './helpers.js'

/** Run `during` while another connection holds an exclusive lock on the store's keys table. */
async function withTableLocked(store: PostgresKeyStore, during: () => Promise<void>): Promise<void> {
  await store.migrate()
  const locker = await admin.connect()
  try {
    await locker.query('BEGIN')
    await locker.query(`LOCK TABLE "${store.namespace}".keyward_keys IN ACCESS EXCLUSIVE MODE`)
    await during()
  } finally {
    await locker.query('ROLLBACK')
    locker.release()
  }
}

/** How long `operation` took to reject with store_unavailable. */
async function rejectsAfterMs(operation: Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  await expect(operation).rejects.toMatchObject({ code: 'store_unavailable' })
  return performance.now() - t0
}

describe('PostgresKeyStore options', () => {
  // Each old name warns once per process: start this file from none warned.
  beforeAll(() => (globalThis as Record<symbol, Set<string> | undefined>)[Symbol.for('keyward.renamed-options')]?.clear())
  afterEach(() => vi.restoreAllMocks())

  it('the previous names (schema, queryTimeoutMs, connectionTimeoutMs) still work, each warning once per process, naming the new options', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const schema = freshSchema()
    const store = new PostgresKeyStore({ connection: PG_URL, schema, queryTimeoutMs: 300, connectionTimeoutMs: 1_000 })
    expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([
      '@keyward/postgres: the option "schema" is deprecated and will be removed in the next release; use "namespace".',
      '@keyward/postgres: the option "queryTimeoutMs" is deprecated and will be removed in the next release; use "requestTimeoutMs", "managementTimeoutMs".',
      '@keyward/postgres: the option "connectionTimeoutMs" is deprecated and will be removed in the next release; use "connectTimeoutMs".',
    ])
    expect(store.namespace).toBe(schema)
    expect(store.schema).toBe(schema)
    expect(store.pool.options.connectionTimeoutMillis).toBe(1_000)
    await withTableLocked(store, async () => {
      expect(await rejectsAfterMs(store.findById('AAAAAAAAAAAA'))).toBeLessThan(1_500)
      expect(await rejectsAfterMs(store.insert(sampleRecord()))).toBeLessThan(1_500)
    })
    await store.close()
    const again = new PostgresKeyStore({ connection: PG_URL, schema, queryTimeoutMs: 300, connectionTimeoutMs: 1_000 })
    expect(postgresMigrationSql({ schema: 'auth' })).toBe(postgresMigrationSql({ namespace: 'auth' }))
    await again.close()
    await admin.query(`DROP SCHEMA "${schema}" CASCADE`)
    expect(warn).toHaveBeenCalledTimes(3)
    expect(warn).not.toHaveBeenCalledWith(expect.stringContaining('"schema" is deprecated'), expect.anything())
  })

  it('the new names work and do not warn: a request query gives up after requestTimeoutMs, a management one waits managementTimeoutMs', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const schema = freshSchema()
    const store = freshStore({ namespace: schema, requestTimeoutMs: 300, managementTimeoutMs: 10_000, connectTimeoutMs: 1_000 })
    expect(store.namespace).toBe(schema)
    expect(store.pool.options.connectionTimeoutMillis).toBe(1_000)
    const record = sampleRecord()
    let inserted = false
    let insert: Promise<void> | undefined
    await withTableLocked(store, async () => {
      expect(await rejectsAfterMs(store.findById(record.id))).toBeLessThan(1_500)
      insert = store.insert(record).then(() => {
        inserted = true
      })
      await sleep(1_500)
      expect(inserted).toBe(false) // still waiting for the lock, well past requestTimeoutMs
    })
    await insert
    expect(await store.findById(record.id)).toEqual(record)
    await store.close()
    expect(warn).not.toHaveBeenCalled()
  })

  it('an old name given beside its new one is a TypeError (one of them would be ignored)', () => {
    expect(() => new PostgresKeyStore({ connection: PG_URL, namespace: 'a', schema: 'b' })).toThrow(
      new TypeError('@keyward/postgres: pass "namespace" only ("schema" is the old name)'),
    )
  })
})
