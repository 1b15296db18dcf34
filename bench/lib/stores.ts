/**
 * Stores for the soak and fault benches: private PostgreSQL and Redis servers, each on a free port
 * with a fresh directory (scripts/services.mjs `startPrivate`: never the shared servers a test run
 * uses, and never a fixed port another run may hold), and the Keyward store over one of them in a
 * namespace of its own.
 */
import type { KeyStore } from '@keyward/core/store'
import { PostgresKeyStore } from '@keyward/postgres'
import { RedisKeyStore } from '@keyward/redis'
import { startPrivate, type PrivateServer } from '../../scripts/services.mjs'

export type StoreKind = 'postgres' | 'redis'
export const STORE_KINDS: readonly StoreKind[] = ['postgres', 'redis']
export const PREFIX = 'acme_live'
export const PEPPER = 'bench-pepper-0123456789-0123456789-abcdef'

/** A PostgreSQL or Redis server this process started on a free port, which it may stop and restart. */
export interface PrivateService {
  kind: StoreKind
  port: number
  url: string
  /** Stop the server (PostgreSQL: fast shutdown; Redis: SHUTDOWN SAVE, so the data survives). */
  stop(): Promise<void>
  /** Start it again on the same port with the same data. */
  restart(): Promise<void>
}

const running = new Map<PrivateService, PrivateServer>()

/** A private server of `kind`: a free port, a fresh directory, so a bench can run beside a test run. */
export async function startPrivateService(kind: StoreKind): Promise<PrivateService> {
  const server = await startPrivate(kind)
  const service: PrivateService = {
    kind,
    port: server.port,
    url: server.url,
    stop: async () => {
      if (!(await server.stop(kind === 'redis' ? { save: true } : {}))) throw new Error(`could not stop ${kind} on ${server.port}`)
    },
    restart: async () => {
      await server.start(kind === 'redis' ? { persist: true } : {})
    },
  }
  running.set(service, server)
  return service
}

/** Stop every private server started here (whether or not a fault left it stopped) and delete its directory. */
export async function stopPrivateServices(): Promise<void> {
  for (const [service, server] of [...running]) {
    running.delete(service)
    await server.remove().catch(() => undefined)
  }
}

/**
 * The Keyward store over `url`, in `namespace` (the stores' `namespace` option: PostgreSQL schema,
 * Redis key prefix). Store timeouts are left at their defaults unless given.
 */
export function openStore(kind: StoreKind, url: string, namespace: string, timeoutMs?: number): KeyStore & { close(): Promise<void> } {
  if (kind === 'postgres')
    return new PostgresKeyStore({
      connection: url,
      namespace,
      ...(timeoutMs !== undefined && { requestTimeoutMs: timeoutMs, managementTimeoutMs: timeoutMs, connectTimeoutMs: timeoutMs }),
    })
  return new RedisKeyStore({
    connection: url,
    namespace: `${namespace}:`,
    ...(timeoutMs !== undefined && { requestTimeoutMs: timeoutMs, managementTimeoutMs: timeoutMs, connectTimeoutMs: timeoutMs }),
  })
}

/** The store's own default timeout for one call, as documented in its options. */
export const DEFAULT_STORE_TIMEOUT_MS: Record<StoreKind, number> = { postgres: 5_000, redis: 2_000 }
