import { createKeyward } from '@keyward/core'
import type { KeyChange } from '@keyward/core/store'
import { sampleOwner, sampleRecord } from '@keyward/core/testing'
import { RedisKeyStore } from '@keyward/redis'
import { type Cluster, Redis } from 'ioredis'
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { eventually } from '../../../test/eventually.js'
import type { RedisClusterHandle } from '../../../scripts/redis-cluster.mjs'
import { clusterStore, ownCluster } from './cluster-helpers.js'
import { CONTROL, OWNER_SYNC } from '../src/scripts.js'
import { freshPrefix, freshStore, layoutOf } from './helpers.js'

/** Redis Cluster's key slot (CRC16 of the hash tag), as ioredis computes it. */
const calculateSlot = createRequire(createRequire(import.meta.url).resolve('ioredis'))('cluster-key-slot') as (key: string) => number
const cluster = ownCluster()
const sha = (source: string) => createHash('sha1').update(source).digest('hex')

/**
 * Make `store`'s client never send a change's later steps (the owner's indexes, and the control
 * slot's indexes and audit entry; a CONTROL call that only `SPUBLISH`es still goes), as if the
 * process died right after the record's own step. Redis runs every call that goes.
 */
function holdBackIndexSteps(store: RedisKeyStore): void {
  const redis = store.redis as Redis
  const evalsha = redis.evalsha.bind(redis)
  redis.evalsha = ((hash: string, count: number, ...rest: (string | number)[]) => {
    const ops = hash === sha(CONTROL) ? (JSON.parse(String(rest[count])) as string[][]) : []
    if (hash === sha(OWNER_SYNC) || ops.some(([op]) => op !== 'p')) return new Promise(() => undefined)
    return evalsha(hash, count, ...rest)
  }) as typeof redis.evalsha
}

/** Run `command` on every node: its reply per port. */
async function onEveryNode<T>(nodes: RedisClusterHandle['nodes'], ...command: string[]): Promise<Map<number, T>> {
  const replies = new Map<number, T>()
  for (const { port } of nodes) {
    const admin = new Redis(port, '127.0.0.1')
    replies.set(port, (await admin.call(command[0]!, ...command.slice(1))) as T)
    admin.disconnect()
  }
  return replies
}

/** Per node: how many of its connections `SUBSCRIBE` to `channel` (classic) and `SSUBSCRIBE` to it (sharded). */
async function subscribersOf(
  nodes: RedisClusterHandle['nodes'],
  channel: string,
): Promise<{ port: number; plain: number; sharded: number }[]> {
  const plain = await onEveryNode<[string, number]>(nodes, 'PUBSUB', 'NUMSUB', channel)
  const sharded = await onEveryNode<[string, number]>(nodes, 'PUBSUB', 'SHARDNUMSUB', channel)
  return nodes.map(({ port }) => ({ port, plain: plain.get(port)![1], sharded: sharded.get(port)![1] }))
}

/** The port of the one node whose plain subscriber listens on `channel` (and no sharded one anywhere). */
async function broadcastNode(nodes: RedisClusterHandle['nodes'], channel: string): Promise<number> {
  const counts = await eventually(
    'one SUBSCRIBE connection',
    () => subscribersOf(nodes, channel),
    (c) => c.filter((n) => n.plain === 1).length === 1,
    5_000,
  )
  expect(counts.map((n) => n.sharded)).toEqual([0, 0, 0])
  expect(counts.reduce((sum, n) => sum + n.plain, 0)).toBe(1)
  return counts.find((n) => n.plain === 1)!.port
}

/** A record whose slot a master other than the one on `port` serves. */
function recordServedElsewhere(client: Cluster, port: number): ReturnType<typeof sampleRecord> {
  for (;;) {
    const record = sampleRecord()
    const [master] = client.slots[calculateSlot(`{${record.id}}`)]!
    if (!master!.endsWith(`:${port}`)) return record
  }
}

describe('RedisKeyStore on Redis Cluster: broadcast change channel (classic pub/sub over the cluster bus)', () => {
  it('refuses an unknown changeChannel with a TypeError, before connecting', () => {
    for (const changeChannel of ['shard', '', 7])
      expect(
        () => new RedisKeyStore({ connection: { cluster: [{ host: '127.0.0.1', port: 1 }] }, changeChannel: changeChannel as never }),
      ).toThrow(new TypeError(`changeChannel must be one of 'auto', 'sharded', 'broadcast', got ${changeChannel}`))
  })

  it("'auto' chooses sharded pub/sub on this Redis 7 cluster: one SSUBSCRIBE connection on the channel's master, no SUBSCRIBE", async () => {
    const { nodes } = await cluster()
    const store = clusterStore({ nodes } as RedisClusterHandle)
    const seen: string[] = []
    const stop = await store.subscribe((change: KeyChange) => seen.push(change.id))
    try {
      const counts = await eventually(
        'one SSUBSCRIBE connection',
        () => subscribersOf(nodes, layoutOf(store.namespace).channel),
        (c) => c.some((n) => n.sharded === 1),
        5_000,
      )
      expect(counts.map((n) => n.plain)).toEqual([0, 0, 0])
      expect(counts.reduce((sum, n) => sum + n.sharded, 0)).toBe(1)
      const record = sampleRecord()
      await store.insert(record)
      await eventually('the change', async () => seen.includes(record.id), Boolean, 1_000)
    } finally {
      await stop()
      await store.close()
    }
  })

  it('delivers a change written on one master to a subscriber on another (insert, update, delete, owner), with no sharded connection', async () => {
    const { nodes } = await cluster()
    const namespace = freshPrefix()
    const subscriber = clusterStore({ nodes } as RedisClusterHandle, { namespace, changeChannel: 'broadcast' })
    const writer = clusterStore({ nodes } as RedisClusterHandle, { namespace, changeChannel: 'broadcast' })
    const seen: string[] = []
    const stop = await subscriber.subscribe((change: KeyChange) => seen.push(change.id))
    try {
      const port = await broadcastNode(nodes, layoutOf(namespace).channel)
      const record = recordServedElsewhere(writer.redis as Cluster, port)
      const arrives = (what: string, count: number) =>
        eventually(
          what,
          async () => seen.filter((id) => id === record.id).length,
          (n) => n === count,
          1_000,
        )
      await writer.insert(record)
      await arrives('insert', 1)
      await writer.update(record.id, { name: 'renamed' })
      await arrives('update', 2)
      await writer.delete(record.id)
      await arrives('delete', 3)
      let owner = sampleOwner()
      while ((writer.redis as Cluster).slots[calculateSlot(`{o:${owner.id}}`)]![0]!.endsWith(`:${port}`)) owner = sampleOwner()
      await writer.putOwner(owner)
      await eventually('owner change', async () => seen.includes(`owner:${owner.id}`), Boolean, 1_000)
      expect(seen).not.toContain('*')
    } finally {
      await stop()
      await Promise.all([subscriber.close(), writer.close()])
    }
  })

  it('reports a dropped subscriber connection as * and listens again on the next master, where changes arrive again', async () => {
    const { nodes } = await cluster()
    const namespace = freshPrefix()
    const store = clusterStore({ nodes } as RedisClusterHandle, { namespace, changeChannel: 'broadcast' })
    const writer = clusterStore({ nodes } as RedisClusterHandle, { namespace, changeChannel: 'broadcast' })
    const seen: string[] = []
    const stop = await store.subscribe((change: KeyChange) => seen.push(change.id))
    try {
      const channel = layoutOf(namespace).channel
      const before = await broadcastNode(nodes, channel)
      expect(store.listening).toBe(true)
      const admin = new Redis(before, '127.0.0.1')
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
      admin.disconnect()
      await eventually('drop everything', async () => seen.includes('*'), Boolean, 2_000)
      // The next master: the subscriber moved off the node that dropped it.
      const after = await broadcastNode(nodes, channel)
      expect(after).not.toBe(before)
      await eventually('listening again', async () => store.listening, Boolean, 2_000)
      const record = sampleRecord()
      await writer.insert(record)
      await eventually('a change after the drop', async () => seen.includes(record.id), Boolean, 1_000)
      // Once on coming back (messages may have been missed meanwhile), once on going.
      expect(seen.filter((id) => id === '*')).toHaveLength(2)
    } finally {
      await stop()
      await Promise.all([store.close(), writer.close()])
    }
  })

  it('a key revoked, disabled or rotated through one instance is refused by another within 1 s, both caching', async () => {
    const { nodes } = await cluster()
    const namespace = freshPrefix()
    const stores = [0, 1].map(() => clusterStore({ nodes } as RedisClusterHandle, { namespace, changeChannel: 'broadcast' }))
    const [a, b] = stores.map((store) => createKeyward({ prefix: 'bc_test', store, pepper: false }))
    try {
      const listening = async () => (await subscribersOf(nodes, layoutOf(namespace).channel)).reduce((sum, n) => sum + n.plain, 0)
      await eventually('both listening', listening, (n) => n === 2, 5_000)
      for (const [action, code] of [
        ['revoke', 'revoked'],
        ['disable', 'disabled'],
        ['rotate', 'expired'],
      ] as const) {
        const { key, info } = await a!.create({ name: action })
        expect((await b!.verify(key)).ok).toBe(true) // now cached in b
        if (action === 'rotate') await a!.rotate(info.id, { gracePeriodMs: 0 })
        else await a![action](info.id)
        const started = performance.now()
        const result = await eventually(
          `${action} reaches b`,
          () => b!.verify(key),
          (r) => !r.ok,
          1_000,
        )
        expect(result).toMatchObject({ ok: false, code })
        expect(performance.now() - started).toBeLessThan(1_000)
      }
    } finally {
      await Promise.all([a!.close(), b!.close()])
      await Promise.all(stores.map((store) => store.close()))
    }
  })

  it.each([
    ['a single server', undefined],
    ['a cluster, broadcast', 'broadcast'],
    ['a cluster, sharded', 'sharded'],
  ] as const)(
    'on %s, announces a change right after its record step, before its indexes and audit entry',
    async (_label, changeChannel) => {
      const open = async (namespace?: string) =>
        changeChannel === undefined
          ? freshStore({ namespace, managementTimeoutMs: 300 })
          : clusterStore({ nodes: (await cluster()).nodes } as RedisClusterHandle, { namespace, changeChannel, managementTimeoutMs: 300 })
      const writer = await open()
      const subscriber = await open(writer.namespace)
      const seen: string[] = []
      const stop = await subscriber.subscribe((change: KeyChange) => seen.push(change.id))
      try {
        await eventually('listening', async () => subscriber.listening, Boolean, 5_000)
        const record = sampleRecord({ ownerId: 'team' })
        await writer.insert(record)
        holdBackIndexSteps(writer)
        // The update is cut off after its record step (and fails on its deadline), but the change is out.
        await expect(writer.update(record.id, { revokedAt: new Date() })).rejects.toMatchObject({ code: 'store_unavailable' })
        await eventually(
          'the change',
          async () => seen.filter((id) => id === record.id).length,
          (n) => n === 2,
          1_000,
        )
        expect((await subscriber.findById(record.id))?.revokedAt).not.toBeNull()
      } finally {
        await stop()
        await Promise.all([writer.close(), subscriber.close()])
      }
    },
  )
})
