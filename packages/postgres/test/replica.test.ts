import { createKeyward, type Keyward } from '@keyward/core'
import { sampleRecord } from '@keyward/core/testing'
import { PostgresKeyStore } from '@keyward/postgres'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { eventually, sleep } from '../../../test/eventually.js'
import { freePort, pgUrl } from '../../../scripts/services.mjs'
import { freshSchema } from './helpers.js'
import { replicaReady, useReplicaPair } from './replica-helpers.js'

const PEPPER = 'replica-test-pepper-0123456789-0123456789'
const replica = useReplicaPair()
const clients: pg.Client[] = []
const instances: Keyward[] = []
afterAll(async () => {
  await Promise.all(instances.map((k) => k.close()))
  await Promise.all(clients.map((c) => c.end()))
})

/** A plain client of `url` (as psql would be): nothing of Keyward's runs on it. */
async function psql(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => undefined) // the replica is stopped in one test
  clients.push(client)
  await client.connect()
  return client
}

function keyward(store: PostgresKeyStore, cache = true): Keyward {
  const instance = createKeyward({
    prefix: 'repl_test',
    store,
    pepper: PEPPER,
    throttle: false,
    lastUsed: false,
    ...(!cache && { cache: false }),
  })
  instances.push(instance)
  return instance
}

/** A key created through a store on the primary alone, closed before the test opens its own. */
async function createdElsewhere(namespace: string, name: string) {
  const writer = new PostgresKeyStore({ connection: replica.pair.primaryUrl, namespace, max: 2 })
  try {
    return await keyward(writer).create({ name })
  } finally {
    await writer.close()
  }
}

/** Two stores (two app instances) on one fresh schema, both reading from the replica. */
async function twoInstances() {
  const namespace = freshSchema()
  const [a, b] = [replica.open({ namespace }), replica.open({ namespace })]
  await replicaReady(a)
  await replicaReady(b)
  return { a, b, namespace }
}

/** Run `fn` with replay paused on the replica (it keeps its old rows meanwhile), then let it catch up. */
async function whilePaused(fn: () => Promise<void>): Promise<void> {
  await replica.pair.waitForReplay()
  await replica.pair.pauseReplay()
  try {
    await fn()
  } finally {
    await replica.pair.resumeReplay()
  }
}

describe('PostgresKeyStore with a read replica', () => {
  it('answers key lookups and listings from the replica: a row changed on the primary without a notification still shows its old value', async () => {
    const namespace = freshSchema()
    const { info } = await createdElsewhere(namespace, 'read from the replica')
    // Opened after the create: nothing tells this store that the key is new or changed.
    const reader = await replicaReady(replica.open({ namespace }))
    const primary = await psql(replica.pair.primaryUrl)
    await whilePaused(async () => {
      // Last use does not notify (it is not a change a cache must hear of): only the primary has it.
      await primary.query(`UPDATE "${namespace}".keyward_keys SET last_used_at = now() WHERE id = $1`, [info.id])
      expect((await primary.query(`SELECT last_used_at FROM "${namespace}".keyward_keys`)).rows[0].last_used_at).toBeInstanceOf(Date)
      expect((await reader.findById(info.id))?.lastUsedAt).toBeNull()
      expect((await reader.list({ includeRevoked: false, limit: 10 })).items.map((r) => [r.id, r.lastUsedAt])).toEqual([[info.id, null]])
    })
  })

  it('reads from the primary after its change feed dropped, until the replica has what the primary had at the reconnect', async () => {
    const namespace = freshSchema()
    const { info } = await createdElsewhere(namespace, 'feed dropped')
    const reader = await replicaReady(replica.open({ namespace }))
    const primary = await psql(replica.pair.primaryUrl)
    const feeds = async (): Promise<number[]> =>
      (await primary.query(`SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN keyward_changes'`)).rows.map((r) => r.pid)
    await whilePaused(async () => {
      await primary.query(`UPDATE "${namespace}".keyward_keys SET last_used_at = now() WHERE id = $1`, [info.id])
      expect((await reader.findById(info.id))?.lastUsedAt).toBeNull() // the replica's row
      // Every LISTEN connection of this file's primary drops (the other stores reconnect too).
      const dropped = await feeds()
      await primary.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [dropped])
      await eventually(
        'the change feed back',
        feeds,
        (pids) => pids.length >= dropped.length && !pids.some((p) => dropped.includes(p)),
        5_000,
      )
      await eventually('the store listening', async () => reader.listening, Boolean, 5_000)
      // Whatever changed while it was not listening was never notified: the lagging replica may not answer.
      for (let i = 0; i < 3; i++) expect((await reader.findById(info.id))?.lastUsedAt).toBeInstanceOf(Date)
      expect(reader.replicaReady).toBe(false)
    })
    await eventually(
      'reads from the replica again',
      async () => (await reader.findById(info.id)) !== null && reader.replicaReady,
      Boolean,
      5_000,
    )
  })

  it('refuses within 1 s, on another instance, a key disabled, enabled again and revoked while the replica still has it live', async () => {
    const { a, b, namespace } = await twoInstances()
    const [ka, kb, kbDirect] = [keyward(a), keyward(b), keyward(b, false)]
    const { key, info } = await ka.create({ name: 'revoked under lag' })
    expect(await kb.verify(key)).toMatchObject({ ok: true }) // now cached in b
    const standby = await psql(replica.pair.replicaUrl)
    const onReplica = async () =>
      (await standby.query(`SELECT disabled_at, revoked_at FROM "${namespace}".keyward_keys WHERE id = $1`, [info.id])).rows[0]
    await whilePaused(async () => {
      for (const [action, code] of [
        ['disable', 'disabled'],
        ['enable', null],
        ['revoke', 'revoked'],
      ] as const) {
        await ka[action](info.id)
        const changedAt = performance.now()
        const expected = code === null ? { ok: true } : { ok: false, code }
        // The same instance at once (its own write), the other within 1 s (the notification), cached or not.
        expect(await ka.verify(key), action).toMatchObject(expected)
        for (const instance of [kb, kbDirect])
          await eventually(
            `${action} reaching the other instance`,
            () => instance.verify(key),
            (r) => (r.ok ? code === null : r.code === code),
            1_000,
          )
        expect(performance.now() - changedAt, action).toBeLessThan(1_000)
      }
      // The attack this defeats: the replica still serves the key as live.
      expect(await onReplica()).toEqual({ disabled_at: null, revoked_at: null })
    })
  })

  it('verifies at once on another instance a key created while the replica lags, and lists it at once where it was created', async () => {
    const { a, b, namespace } = await twoInstances()
    const [ka, kb] = [keyward(a, false), keyward(b, false)]
    const primary = await psql(replica.pair.primaryUrl)
    await whilePaused(async () => {
      // Before its notification arrives (here: never, the table's triggers are off), the other
      // instance finds nothing on the replica and asks the primary.
      await primary.query(`ALTER TABLE "${namespace}".keyward_keys DISABLE TRIGGER USER`)
      const unheard = await ka.create({ name: 'not notified' })
      await primary.query(`ALTER TABLE "${namespace}".keyward_keys ENABLE TRIGGER USER`)
      expect(await kb.verify(unheard.key)).toMatchObject({ ok: true, key: { id: unheard.info.id } })

      const { key, info } = await ka.create({ name: 'new under lag' })
      expect(await kb.verify(key)).toMatchObject({ ok: true, key: { id: info.id } })
      expect((await ka.list()).items.map((k) => k.id)).toEqual([info.id, unheard.info.id])
      // The other instance lists it too once the creation's notification has arrived.
      await eventually(
        'the other instance listing it',
        async () => (await kb.list()).items.map((k) => k.id),
        (ids) => ids.includes(info.id),
        1_000,
      )
    })
  })

  it('reads an owner changed elsewhere from the primary while the replica lags', async () => {
    const { a, b } = await twoInstances()
    await a.putOwner({
      id: 'owner-1',
      rateLimits: [],
      credits: null,
      maxKeys: null,
      scopes: ['a'],
      allowedIps: null,
      createdAt: new Date(),
      updatedAt: new Date(),
      revision: 0,
    })
    expect((await b.getOwner('owner-1'))?.scopes).toEqual(['a'])
    await whilePaused(async () => {
      const owner = (await a.getOwner('owner-1'))!
      await a.putOwner({ ...owner, scopes: ['b'], updatedAt: new Date() })
      expect((await a.getOwner('owner-1'))?.scopes).toEqual(['b'])
      await eventually(
        'the owner change reaching the other instance',
        async () => (await b.getOwner('owner-1'))?.scopes,
        (scopes) => scopes?.[0] === 'b',
        1_000,
      )
    })
  })

  it('keeps reading its own changes from the primary when more ids changed than it tracks one by one (10,001)', async () => {
    const store = await replicaReady(replica.open())
    const records = Array.from({ length: 10_001 }, () => sampleRecord({ lastUsedAt: null }))
    await store.insertMany(records)
    await replica.pair.waitForReplay()
    await whilePaused(async () => {
      await store.touch(records.map((r) => ({ id: r.id, lastUsedAt: new Date() })))
      await sleep(200) // the primary's position for them is known by now: they are no longer merely pending
      for (const record of [records[0]!, records[5_000]!, records[10_000]!])
        expect((await store.findById(record.id))?.lastUsedAt, record.id).toBeInstanceOf(Date)
    })
  })

  it('reads from the primary while the replica is down, and from the replica again once it is back', async () => {
    const namespace = freshSchema()
    const { key, info } = await createdElsewhere(namespace, 'replica outage')
    // Nothing tells this store the key changed: its lookups go to the replica while it is up.
    const store = await replicaReady(replica.open({ namespace, connectTimeoutMs: 1_000 }))
    const direct = keyward(store, false)
    await replica.pair.replica.stop({ mode: 'immediate' })
    try {
      const t0 = performance.now()
      expect(await direct.verify(key)).toMatchObject({ ok: true })
      expect(performance.now() - t0).toBeLessThan(2_000)
      await direct.revoke(info.id)
      expect(await direct.verify(key)).toMatchObject({ ok: false, code: 'revoked' })
      expect(store.replicaReady).toBe(false)
    } finally {
      await replica.pair.replica.start()
    }
    await eventually(
      'reads from the replica again',
      async () => (await store.findById(info.id)) !== null && store.replicaReady,
      Boolean,
      10_000,
    )
    expect(await direct.verify(key)).toMatchObject({ ok: false, code: 'revoked' })
  })

  it('reads from the primary only when the replica is not a reachable standby', async () => {
    const store = new PostgresKeyStore({
      connection: replica.pair.primaryUrl,
      replica: pgUrl(await freePort()),
      namespace: freshSchema(),
      connectTimeoutMs: 500,
    })
    try {
      const direct = keyward(store, false)
      const { key } = await direct.create({ name: 'no replica' })
      for (let i = 0; i < 3; i++) expect(await direct.verify(key)).toMatchObject({ ok: true })
      expect(store.replicaReady).toBe(false)
    } finally {
      await store.close()
    }
  })

  it('rejects a replica that is not a connection string or pool, or is the primary itself', () => {
    const connection = replica.pair.primaryUrl
    expect(() => new PostgresKeyStore({ connection, replica: connection })).toThrow(TypeError)
    expect(() => new PostgresKeyStore({ connection, replica: 42 as unknown as string })).toThrow(/replica must be/)
  })
})
