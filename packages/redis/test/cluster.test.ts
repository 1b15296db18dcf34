import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { createKeyward } from '@keyward/core'
import { type KeyChange, StoreUnavailableError } from '@keyward/core/store'
import { sampleRecord } from '@keyward/core/testing'
import { Cluster, Redis } from 'ioredis'
import { describe, expect, it, vi } from 'vitest'
import { eventually } from '../../../test/eventually.js'
import type { RedisClusterHandle } from '../../../scripts/redis-cluster.mjs'
import * as analyticsLua from '../src/analytics-scripts.js'
import * as rulesLua from '../src/rules-scripts.js'
import * as lua from '../src/scripts.js'
import { multiInstanceTests } from '../../../scripts/test-support/instances.js'
import { clusterStore, ownCluster } from './cluster-helpers.js'
import { freshStore } from './helpers.js'

/** Redis Cluster's key slot (CRC16 of the hash tag), as ioredis computes it. */
const calculateSlot = createRequire(createRequire(import.meta.url).resolve('ioredis'))('cluster-key-slot') as (key: string) => number
const NAMES = new Map(
  Object.entries({ ...lua, ...analyticsLua, ...rulesLua }).map(([name, source]) => [createHash('sha1').update(source).digest('hex'), name]),
)
const T0 = Date.UTC(2026, 6, 1, 12)
const cluster = ownCluster()
let nodes: RedisClusterHandle['nodes'] = []

describe('RedisKeyStore: one slot per script', () => {
  it('gives every script call keys of one slot, across every operation of the store (single server, calls recorded)', async () => {
    const store = freshStore()
    const calls: { name: string; slots: number[] }[] = []
    const redis = store.redis as Redis
    const evalsha = redis.evalsha.bind(redis)
    // Recorded on the way through; Redis still runs every call.
    redis.evalsha = ((sha: string, count: number, ...rest: (string | number)[]) => {
      calls.push({ name: NAMES.get(sha) ?? sha, slots: rest.slice(0, count).map((key) => calculateSlot(String(key))) })
      return evalsha(sha, count, ...rest)
    }) as typeof redis.evalsha
    const keyward = createKeyward({
      prefix: 'slot_test',
      store,
      pepper: false,
      now: () => T0,
      throttle: { perSource: { limit: 5, windowMs: 60_000 } },
    })
    await keyward.owners.set('team', {
      rateLimits: [{ name: 'default', limit: 10, windowMs: 60_000 }],
      credits: { remaining: 10 },
      maxKeys: 5,
    })
    const { key, info } = await keyward.create({
      name: 'a',
      ownerId: 'team',
      rateLimit: { limit: 5, windowMs: 60_000 },
      credits: { remaining: 3 },
    })
    for (let i = 0; i < 5; i++) await keyward.verify(key, { source: '203.0.113.7' })
    await keyward.verify(`${key.slice(0, -8)}AAAAAAAA`, { source: '203.0.113.7' })
    await keyward.update(info.id, { name: 'b' })
    await keyward.rotate(info.id)
    await keyward.list({ ownerId: 'team' })
    await keyward.auditLog({ keyId: info.id })
    await keyward.revoke(info.id)
    await keyward.delete((await keyward.create({ name: 'gone' })).info.id)
    await store.appendAudit([
      {
        id: `a${Date.now()}`,
        at: new Date(T0),
        action: 'key.leaked',
        prefix: 'slot_test',
        keyId: info.id,
        ownerId: 'team',
        actor: null,
        fields: null,
      },
    ])
    await store.insertMany([sampleRecord({ ownerId: 'team' }), sampleRecord()])
    await store.touch([{ id: info.id, lastUsedAt: new Date(T0) }])
    await store.incrementCounter('fail:source:203.0.113.9', 1, 60_000, T0)
    await store.spendCredits(info.id, 1, T0)
    await store.charge(
      [
        { type: 'counter', name: 'a', amount: 1, limit: 0, windowMs: 1_000, algorithm: 'fixed' },
        { type: 'credits', holder: 'owner', id: 'team', cost: 1 },
      ],
      T0,
    )
    await store.charge(
      [
        { type: 'credits', holder: 'key', id: info.id, cost: 0 },
        { type: 'credits', holder: 'owner', id: 'team', cost: 1e9 },
      ],
      T0,
    )
    await store.addUsage([{ keyId: info.id, ownerId: 'team', prefix: 'slot_test', minute: T0, outcome: 'ok', count: 1 }], 'b')
    await store.readUsage({ prefix: 'slot_test', granularity: 'day', from: 0, to: T0 * 2 })
    await store.pruneUsage({ minute: T0 * 2, hour: T0 * 2, day: T0 * 2 })
    await store.recordNotifications([{ id: 'n', type: 'key.unused', keyId: info.id, payload: '{}', createdAt: T0, pending: true }])
    await store.claimNotifications('me', T0, 1_000, 5)
    await store.settleNotification('n', { delivered: true })
    await store.pruneNotifications(T0 * 2)
    await store.acquireLease('l', 'me', 1_000, T0)
    await keyward.close()
    await store.close()
    const spanning = calls.filter(({ slots }) => new Set(slots).size !== 1)
    expect(spanning).toEqual([])
    // Every script of the store ran (the migration's INSERT/OWNER_SYNC/CONTROL are these too).
    expect([...new Set(calls.map((c) => c.name))].sort()).toEqual([...NAMES.values()].sort())
  })
})

describe('RedisKeyStore on Redis Cluster', () => {
  it('runs on a cluster that refuses a script whose keys span slots (CROSSSLOT), so the conformance suite there proves the rule', async () => {
    const { nodes } = await cluster()
    const client = new Cluster(nodes)
    try {
      await expect(client.eval('return 1', 2, 'a{x}', 'a{y}')).rejects.toThrow(/CROSSSLOT/)
    } finally {
      client.disconnect()
    }
  })

  it("takes the cluster's password out of a driver error that repeats it", async () => {
    const { nodes } = await cluster()
    const password = 'cluster-password-Wd3Ks8Jq1Nz6Yb' // on a line naming a password (the suite-wide secret check)
    vi.spyOn(console, 'warn').mockImplementation(() => undefined) // the test cluster has no password
    const client = new Cluster(nodes, { enableOfflineQueue: false, redisOptions: { password } })
    client.hgetall = (async () => {
      throw new Error(`authentication with password "${password}" failed`)
    }) as never
    const store = clusterStore({ nodes } as RedisClusterHandle, { connection: client })
    try {
      const error = await store.findById('AAAAAAAAAAAA').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(StoreUnavailableError)
      expect(error).toMatchObject({ operation: 'findById', cause: { message: 'authentication with password "***" failed' } })
    } finally {
      vi.restoreAllMocks()
      await store.close()
      client.disconnect()
    }
  })

  it('tells subscribers to drop their caches when a sharded subscriber connection drops, and delivers changes again after it is back', async () => {
    const { nodes } = await cluster()
    const store = clusterStore({ nodes } as RedisClusterHandle)
    const writer = clusterStore({ nodes } as RedisClusterHandle, { namespace: store.namespace })
    const seen: string[] = []
    const stop = await store.subscribe((change: KeyChange) => seen.push(change.id))
    try {
      await eventually('listening', async () => store.listening, Boolean, 5_000)
      const first = sampleRecord()
      await writer.insert(first)
      await eventually('first change', async () => seen.includes(first.id), Boolean, 2_000)
      for (const { port } of nodes) {
        const admin = new Redis(port, '127.0.0.1')
        await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
        admin.disconnect()
      }
      await eventually('drop everything', async () => seen.includes('*'), Boolean, 5_000)
      // Once ioredis has subscribed again, changes arrive again.
      const later = sampleRecord()
      await eventually(
        'a change after the drop',
        async () => {
          await writer.update(first.id, { name: `n${Date.now()}` })
          await new Promise((r) => setTimeout(r, 100))
          return seen.filter((c) => c === first.id).length > 1
        },
        Boolean,
        10_000,
      )
      await writer.insert(later)
      await eventually('later change', async () => seen.includes(later.id), Boolean, 2_000)
    } finally {
      await stop()
      await Promise.all([store.close(), writer.close()])
    }
  }, 30_000)
})

describe('two processes on one Redis Cluster, each with its own Cluster client', () => {
  const namespace = `kwcluster:${process.pid}:${Date.now().toString(36)}:`
  it('starts the cluster', async () => {
    nodes = (await cluster()).nodes
  })
  multiInstanceTests(fileURLToPath(new URL('./fixtures/instance.mjs', import.meta.url)), () => ({
    connection: { cluster: nodes },
    namespace,
  }))
})
