import { RedisKeyStore, type RedisKeyStoreOptions } from '@keyward/redis'
import { afterAll, beforeAll } from 'vitest'
import { type RedisClusterHandle, startRedisCluster } from '../../../scripts/redis-cluster.mjs'
import { freshPrefix } from './helpers.js'

/**
 * A 3-master Redis Cluster owned by the calling test file: started before its tests (free ports, a
 * fresh directory) and removed after them. Resolves once the cluster is ready.
 */
export function ownCluster(): () => Promise<RedisClusterHandle> {
  let started: Promise<RedisClusterHandle> | undefined
  const get = () => {
    started ??= startRedisCluster()
    return started
  }
  beforeAll(get, 60_000)
  afterAll(async () => {
    await (await started)?.remove()
  }, 60_000)
  return get
}

/** A store on `cluster` (a Cluster client of its own) under a fresh namespace, unless one is given. */
export function clusterStore(cluster: RedisClusterHandle, options: Partial<RedisKeyStoreOptions> = {}): RedisKeyStore {
  return new RedisKeyStore({ connection: { cluster: cluster.nodes }, namespace: freshPrefix(), ...options })
}
