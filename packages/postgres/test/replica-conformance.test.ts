import { runKeyStoreConformance } from '@keyward/core/testing'
import type { PostgresKeyStore } from '@keyward/postgres'
import { replicaReady, useReplicaPair } from './replica-helpers.js'

// The whole store contract, with reads that a streaming replica may answer: read-your-writes,
// listings after creates and notifications, exactly-L across two instances (two stores) all hold
// with the replica in between.
const replica = useReplicaPair()

runKeyStoreConformance('PostgresKeyStore with a read replica', () => replicaReady(replica.open()), {
  dispose: (store) => store.close?.(),
  openPeer: (store) => replicaReady(replica.open({ namespace: (store as PostgresKeyStore).namespace })),
})
