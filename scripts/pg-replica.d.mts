/** Types for scripts/pg-replica.mjs (plain Node, no build step). */
import type { PrivateServer } from './services.mjs'

/** A PostgreSQL primary and a streaming replica of it, owned by the caller. */
export interface ReplicaPair {
  primaryUrl: string
  replicaUrl: string
  /** The primary as a private server (`stop`, `start`). */
  primary: PrivateServer
  /** The replica, to stop and start again (on its port, with its data). */
  replica: Omit<PrivateServer, 'remove'>
  /** Stop applying WAL on the replica (it keeps receiving it): the replica lags from now on. */
  pauseReplay(): Promise<void>
  /** Apply WAL again; the replica catches up. */
  resumeReplay(): Promise<void>
  /** Resolve once the replica has replayed everything the primary had written when called. */
  waitForReplay(timeoutMs?: number): Promise<void>
  /** Stop both servers and delete their directories. */
  remove(): Promise<void>
}
export declare function startReplicaPair(): Promise<ReplicaPair>
