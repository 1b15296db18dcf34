/** Types for scripts/redis-cluster.mjs (plain Node, no build step). */
export interface ClusterNodeAddress {
  host: string
  port: number
}
/** A Redis Cluster owned by the caller. */
export interface RedisClusterHandle {
  nodes: ClusterNodeAddress[]
  dir: string
  /** Shut every node down. */
  stop(): Promise<void>
  /** Shut every node down and delete their directory. */
  remove(): Promise<void>
}
export declare function startRedisCluster(options?: { masters?: number }): Promise<RedisClusterHandle>
export declare function commandStats(port: number): { total: number; byCommand: Record<string, number> }
export declare function resetStats(nodes: ClusterNodeAddress[]): void
