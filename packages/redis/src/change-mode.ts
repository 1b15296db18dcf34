import { isCluster, type RedisClient } from './client.js'
import type { ChangeChannel } from './options.js'

/**
 * How a store announces and hears changes: `single` (one server: `PUBLISH`/`SUBSCRIBE`), `sharded`
 * (a cluster's sharded pub/sub: `SPUBLISH`/`SSUBSCRIBE`) or `broadcast` (a cluster's classic pub/sub:
 * `PUBLISH` on any node, forwarded to every node over the cluster bus; `SUBSCRIBE` on one master).
 */
export type ChangeMode = 'single' | 'sharded' | 'broadcast'

/** The mode the options fix without asking the server, or undefined when `auto` must ask a cluster. */
export function fixedChangeMode(redis: RedisClient, option: ChangeChannel): ChangeMode | undefined {
  if (!isCluster(redis)) return 'single'
  return option === 'auto' ? undefined : option
}

/**
 * `auto` on a cluster: `sharded` when every master that answers knows `SPUBLISH` (Redis 7), else
 * `broadcast`; rejects when none answers. Needs the cluster connected.
 */
export async function detectChangeMode(redis: RedisClient): Promise<ChangeMode> {
  if (!isCluster(redis)) return 'single'
  const asked = await Promise.allSettled(
    redis.nodes('master').map((node) => node.call('COMMAND', 'INFO', 'SPUBLISH') as Promise<unknown[]>),
  )
  const replies = asked.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []))
  if (replies.length === 0)
    throw new Error('No master of the Redis Cluster answered COMMAND INFO', { cause: asked.find((a) => a.status === 'rejected')?.reason })
  // An unknown command's entry is nil.
  return replies.every((reply) => Array.isArray(reply[0])) ? 'sharded' : 'broadcast'
}
