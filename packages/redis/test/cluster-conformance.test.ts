import { runKeyStoreConformance } from '@keyward/core/testing'
import type { RedisKeyStore } from '@keyward/redis'
import { clusterStore, ownCluster } from './cluster-helpers.js'

// The whole conformance suite (records, lists, limits with 1,000 concurrent verifies on two
// instances, rules, insertMany, analytics) on a 3-master cluster: a script whose keys span slots
// fails there with CROSSSLOT. Each peer has a Cluster client of its own.
const cluster = ownCluster()

runKeyStoreConformance('RedisKeyStore on Redis Cluster', async () => clusterStore(await cluster()), {
  dispose: (store) => store.close?.(),
  openPeer: async (store) => clusterStore(await cluster(), { namespace: (store as RedisKeyStore).namespace }),
})
