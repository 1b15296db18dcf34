import { PostgresKeyStore, type PostgresKeyStoreOptions } from '@keyward/postgres'
import { afterAll, beforeAll } from 'vitest'
import { startReplicaPair, type ReplicaPair } from '../../../scripts/pg-replica.mjs'
import { sleep } from '../../../test/eventually.js'
import { freshSchema } from './helpers.js'

/**
 * A primary with a streaming replica of the file's own (free ports, fresh directories), started
 * before its tests and removed after them, with every store opened on it closed first.
 */
export function useReplicaPair() {
  let pair: ReplicaPair | undefined
  const stores: PostgresKeyStore[] = []
  beforeAll(async () => {
    pair = await startReplicaPair()
  }, 60_000)
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()))
    await pair?.remove()
  }, 60_000)
  const get = (): ReplicaPair => {
    if (pair === undefined) throw new Error('the replica pair is not started')
    return pair
  }
  return {
    get pair(): ReplicaPair {
      return get()
    },
    /** A store reading from the replica, on a fresh schema unless `namespace` is given; closed after the file. */
    open(options: Partial<PostgresKeyStoreOptions> = {}): PostgresKeyStore {
      const store = new PostgresKeyStore({
        connection: get().primaryUrl,
        replica: get().replicaUrl,
        max: 4,
        ...options,
        namespace: options.namespace ?? freshSchema(),
      })
      stores.push(store)
      return store
    },
  }
}

/** Resolve once `store` reads unchanged keys from the replica (its schema migrated, the replica caught up). */
export async function replicaReady(store: PostgresKeyStore): Promise<PostgresKeyStore> {
  await store.migrate()
  const deadline = Date.now() + 10_000
  // A read starts the change feed and the replica's position checks.
  while ((await store.findById('00000000000000000000')) === null && !store.replicaReady) {
    if (Date.now() > deadline) throw new Error('the store does not read from the replica within 10 s')
    await sleep(10)
  }
  return store
}
