/** Types for scripts/services.mjs (plain Node, no build step). */
export declare let PG_PORT: number
export declare let REDIS_PORT: number
export declare const SERVICES_DIR: string
export declare class PortTakenError extends Error {
  readonly port: number
}
export declare function freePort(): Promise<number>
export declare function pgUrl(port?: number): string
export declare function redisUrl(port?: number): string
export declare function portOpen(port: number, timeoutMs?: number): Promise<boolean>
export declare function startPostgres(options?: { port?: number; dir?: string }): Promise<boolean>
export declare function stopPostgres(options?: { port?: number; dir?: string; mode?: 'fast' | 'immediate' }): Promise<boolean>
export declare function startRedis(options?: { port?: number; dir?: string; persist?: boolean }): Promise<boolean>
export declare function stopRedis(options?: { port?: number; save?: boolean }): Promise<boolean>
export declare function startShared(kind: 'postgres' | 'redis'): Promise<boolean>
export declare function startServices(): Promise<{ postgres: boolean; redis: boolean }>
export declare function useSharedServices(kind: 'postgres' | 'redis'): Promise<{ url: string; release: () => Promise<void> }>
/** A server of a test's own, on a free port with a fresh directory. */
export interface PrivateServer {
  port: number
  dir: string
  url: string
  /** Stop it (PostgreSQL: `mode`, default fast; Redis: `save` first to keep the data). */
  stop(options?: { mode?: 'fast' | 'immediate'; save?: boolean }): Promise<boolean>
  /** Start it again on the same port with the same data (Redis: `persist: true` to load it). */
  start(options?: { persist?: boolean }): Promise<boolean>
  /** Stop it and delete its directory. */
  remove(): Promise<void>
}
export declare function startPrivate(kind: 'postgres' | 'redis'): Promise<PrivateServer>
export declare function envLines(): string[]
