/** Types for scripts/services.mjs (plain Node, no build step). */
export declare const PG_PORT: number
export declare const REDIS_PORT: number
export declare const SERVICES_DIR: string
export declare function pgUrl(port?: number): string
export declare function redisUrl(port?: number): string
export declare function portOpen(port: number, timeoutMs?: number): Promise<boolean>
export declare function startPostgres(options?: { port?: number; dir?: string }): Promise<boolean>
export declare function stopPostgres(options?: { port?: number; dir?: string; mode?: 'fast' | 'immediate' }): Promise<boolean>
export declare function startRedis(options?: { port?: number; dir?: string; persist?: boolean }): Promise<boolean>
export declare function stopRedis(options?: { port?: number; save?: boolean }): Promise<boolean>
export declare function startServices(): Promise<{ postgres: boolean; redis: boolean }>
export declare function envLines(): string[]
