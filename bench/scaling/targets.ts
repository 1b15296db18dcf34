/**
 * The stores `pnpm bench:scaling` measures, each on a private server (free port, fresh directory)
 * it starts and removes, with a way to read how many bytes the store's data takes.
 */
import type { KeyStore } from '@keyward/core/store'
import { PostgresKeyStore } from '@keyward/postgres'
import { RedisKeyStore } from '@keyward/redis'
import { type ReplicaPair, startReplicaPair } from '../../scripts/pg-replica.mjs'
import { startRedisCluster } from '../../scripts/redis-cluster.mjs'
import { startPrivate } from '../../scripts/services.mjs'

export interface OpenedTarget {
  store: KeyStore
  /** Bytes the data takes now (PostgreSQL: tables, indexes and TOAST of the schema; Redis: used_memory). */
  bytes(): Promise<number>
  /** Redis only: the server's total command time so far (µs, `INFO commandstats`), to price an operation in server CPU. */
  serverMicros?(): Promise<number>
  /** After the keys are made: wait until reads go where they will in production (the replica, once it has them). */
  settle?(ids: string[]): Promise<void>
  close(): Promise<void>
}

export interface Target {
  label: string
  open(): Promise<OpenedTarget>
}

const NAMESPACE = 'scale'

/**
 * Wait until `store` reads `ids` from its replica: the replica has replayed them, and the store, which
 * reads keys it wrote itself from the primary until then, has seen that it has.
 */
export async function replicaCaughtUp(store: PostgresKeyStore, pair: ReplicaPair, ids: string[]): Promise<void> {
  await pair.waitForReplay()
  const deadline = Date.now() + 10_000
  while (!store.replicaReady || (await store.findById(ids[0]!)) === null) {
    if (Date.now() > deadline) throw new Error('the store does not read from the replica within 10 s')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  // The store checks the replica's position at most every 10 ms while a read waits on it.
  await new Promise((resolve) => setTimeout(resolve, 50))
  await Promise.all(ids.slice(0, 100).map((id) => store.findById(id)))
}

/** What the byte and time readers need of a Redis connection. */
type InfoClient = { info(section: string): Promise<string> }

/** Redis's `used_memory` (bytes) from `INFO memory`. */
export async function usedMemory(client: InfoClient): Promise<number> {
  const match = /^used_memory:(\d+)/m.exec(await client.info('memory'))
  if (!match) throw new Error('INFO memory has no used_memory')
  return Number(match[1])
}

/** The sum of `usec` over every command of Redis's `INFO commandstats`: the server's time spent in commands. */
export async function commandMicros(client: InfoClient): Promise<number> {
  let total = 0
  for (const match of (await client.info('commandstats')).matchAll(/,usec=(\d+),/g)) total += Number(match[1])
  return total
}

/** Bytes of every table, index and TOAST relation of PostgreSQL schema `schema`. */
export async function schemaBytes(pool: PostgresKeyStore['pool'], schema: string): Promise<number> {
  const { rows } = await pool.query<{ bytes: string | null }>(
    `SELECT sum(pg_total_relation_size(c.oid))::text AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
    [schema],
  )
  return Number(rows[0]?.bytes ?? 0)
}

export const TARGETS: Record<string, Target> = {
  postgres: {
    label: 'PostgreSQL',
    async open() {
      const server = await startPrivate('postgres')
      const store = new PostgresKeyStore({ connection: server.url, namespace: NAMESPACE, max: 10 })
      await store.migrate()
      return {
        store,
        bytes: async () => {
          await store.pool.query(`VACUUM ANALYZE`)
          return schemaBytes(store.pool, NAMESPACE)
        },
        close: async () => {
          await store.close()
          await server.remove()
        },
      }
    },
  },
  redis: {
    label: 'Redis',
    async open() {
      const server = await startPrivate('redis')
      const store = new RedisKeyStore({ connection: server.url, namespace: `${NAMESPACE}:` })
      await store.migrate()
      return {
        store,
        bytes: () => usedMemory(store.redis),
        serverMicros: () => commandMicros(store.redis),
        close: async () => {
          await store.close()
          await server.remove()
        },
      }
    },
  },
  'postgres-replica': {
    label: 'PostgreSQL + replica',
    async open() {
      const pair = await startReplicaPair()
      const store = new PostgresKeyStore({ connection: pair.primaryUrl, replica: pair.replicaUrl, namespace: NAMESPACE, max: 10 })
      await store.migrate()
      return {
        store,
        settle: (ids) => replicaCaughtUp(store, pair, ids),
        bytes: async () => {
          await store.pool.query(`VACUUM ANALYZE`)
          return schemaBytes(store.pool, NAMESPACE)
        },
        close: async () => {
          await store.close()
          await pair.remove()
        },
      }
    },
  },
  'redis-cluster': {
    label: 'Redis Cluster (3 masters)',
    async open() {
      const cluster = await startRedisCluster()
      const store = new RedisKeyStore({ connection: { cluster: cluster.nodes }, namespace: `${NAMESPACE}:` })
      await store.migrate()
      // The store's Cluster client keeps a connection to every master (ioredis `Cluster#nodes`).
      const nodes = (store.redis as unknown as { nodes(role: 'master'): InfoClient[] }).nodes('master')
      const sum = async (read: (node: InfoClient) => Promise<number>) => (await Promise.all(nodes.map(read))).reduce((a, b) => a + b, 0)
      return {
        store,
        bytes: () => sum(usedMemory),
        serverMicros: () => sum(commandMicros),
        close: async () => {
          await store.close()
          await cluster.remove()
        },
      }
    },
  },
}
