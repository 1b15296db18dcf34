import { ClosedError, StoreUnavailableError } from '@keyward/core/store'
import { sampleRecord } from '@keyward/core/testing'
import { PostgresKeyStore } from '@keyward/postgres'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { freePort } from '../../../scripts/services.mjs'
import { freshStore, PG_URL } from './helpers.js'

// On a line naming a password, so the suite-wide secret check also fails if it is ever printed.
const PASSWORD = 'pg-password-Zq8TnW3xR5vL1mK9pB7'

/** Every operation of the store, each called once. */
function everyOperation(store: PostgresKeyStore): Array<[string, () => Promise<unknown>]> {
  const record = sampleRecord()
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
    ['migrate', () => store.migrate()],
    ['schemaVersion', () => store.schemaVersion()],
  ]
}

/** No trace of `secret` in the error, its message, or its cause's message and stack. */
function expectNoSecret(error: unknown, secret: string): void {
  const cause = (error as Error).cause as Error
  for (const text of [String(error), (error as Error).message, (error as Error).stack, cause.message, cause.stack])
    expect(text).not.toContain(secret)
}

describe('PostgresKeyStore errors', () => {
  it.each([
    ['a pool it made', () => freshStore()],
    ['a pool passed in (which stays open)', () => freshStore({ connection: new pg.Pool({ connectionString: PG_URL, max: 1 }) })],
  ])('after close(), every operation on %s rejects with ClosedError', async (_label, open) => {
    const store = open()
    await store.insert(sampleRecord())
    await store.close()
    for (const [name, operation] of everyOperation(store)) await expect(operation(), name).rejects.toBeInstanceOf(ClosedError)
    if (!(store.pool as { ending?: boolean }).ending) await store.pool.end()
  })

  it('an unreachable server gives StoreUnavailableError naming the operation, the driver error as cause, no password', async () => {
    const store = new PostgresKeyStore({
      connection: `postgres://keyward:${PASSWORD}@127.0.0.1:${await freePort()}/keys`,
      connectTimeoutMs: 1_000,
    })
    for (const [name, operation] of everyOperation(store).filter(([name]) => name !== 'subscribe')) {
      const error = await operation().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error, name).toBeInstanceOf(StoreUnavailableError)
      expect(error, name).toMatchObject({
        operation: name,
        message: expect.stringMatching(new RegExp(`^The key store failed during ${name}: .*ECONNREFUSED`)),
      })
      expect((error as Error).cause, name).toMatchObject({ code: 'ECONNREFUSED' })
      expectNoSecret(error, PASSWORD)
    }
    await store.close()
  })

  it("the connection's password is taken out of a driver error that repeats it", async () => {
    const pool = new pg.Pool({ connectionString: `postgres://keyward:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/keys` })
    // A driver (or a proxy in front of it) that puts the password it was given into its message.
    pool.query = (async () => {
      throw new Error(`authentication with password "${PASSWORD}" failed`)
    }) as never
    const store = new PostgresKeyStore({ connection: pool })
    const error = await store.findById('AAAAAAAAAAAA').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect(error).toMatchObject({ operation: 'findById', cause: { message: 'authentication with password "***" failed' } })
    expectNoSecret(error, PASSWORD)
    await store.close()
    await pool.end()
  })

  it('a duplicate id is still DuplicateKeyIdError', async () => {
    const store = freshStore()
    const record = sampleRecord()
    await store.insert(record)
    await expect(store.insert(record)).rejects.toMatchObject({ name: 'DuplicateKeyIdError', code: 'duplicate_id', keyId: record.id })
    await store.close()
  })
})
