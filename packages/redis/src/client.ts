import { urlPasswords } from '@keyward/core/store'
import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis'

/** A single server's client or a Redis Cluster's: the store runs the same commands on both. */
export type RedisClient = Redis | Cluster

/**
 * A Redis Cluster for the store to connect to: its startup nodes (`{ host, port }` or
 * `redis://` URLs) and ioredis cluster options (node connection options in `redisOptions`).
 * @example { cluster: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7000 }], options: { redisOptions: { password } } }
 */
export interface RedisClusterConnection {
  cluster: ClusterNode[]
  options?: ClusterOptions
}

/** What `connection` may be: a URL, ioredis options, a client or a cluster (given or to create). */
export type RedisConnectionOption = string | RedisOptions | Redis | Cluster | RedisClusterConnection

/** How long to wait before reconnecting after `times` failures: 50 ms doubling to 2 s. */
export const retryDelay = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2_000)

/** Deadlines of a client the store creates. */
export interface FailFast {
  commandTimeout: number
  connectTimeout: number
}

/** The client of `connection` (made fail-fast when the store creates it), whether the store owns it, and the passwords to keep out of errors. */
export function openClient(
  connection: RedisConnectionOption,
  deadlines: FailFast,
): { redis: RedisClient; owns: boolean; secrets: string[] } {
  const node: RedisOptions = { ...deadlines, enableOfflineQueue: false, maxRetriesPerRequest: 0 }
  const failFast: RedisOptions = { ...node, retryStrategy: retryDelay }
  if (connection instanceof Redis) return { redis: connection, owns: false, secrets: passwords(connection.options) }
  if (connection instanceof Cluster) return { redis: connection, owns: false, secrets: passwords(connection.options.redisOptions) }
  if (typeof connection === 'string') {
    const redis = new Redis(connection, failFast)
    return { redis, owns: true, secrets: [...urlPasswords(connection), ...passwords(redis.options)] }
  }
  if ('cluster' in connection) {
    const { cluster, options = {} } = connection
    if (!Array.isArray(cluster) || cluster.length === 0) throw new TypeError('connection.cluster must list at least one node')
    const redis = new Cluster(cluster, {
      ...options,
      enableOfflineQueue: false,
      clusterRetryStrategy: retryDelay,
      redisOptions: { ...options.redisOptions, ...node },
    })
    const urls = cluster.flatMap((node) => (typeof node === 'string' ? urlPasswords(node) : []))
    return { redis, owns: true, secrets: [...urls, ...passwords(options.redisOptions)] }
  }
  const redis = new Redis({ ...connection, ...failFast })
  return { redis, owns: true, secrets: passwords(redis.options) }
}

function passwords(options: RedisOptions | undefined): string[] {
  return options?.password ? [options.password] : []
}

/** Whether `redis` is a cluster client. */
export function isCluster(redis: RedisClient): redis is Cluster {
  return redis instanceof Cluster
}
