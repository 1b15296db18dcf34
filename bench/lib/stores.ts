/**
 * Stores for the soak and fault benches: private PostgreSQL and Redis servers on their own ports
 * (started and stopped through scripts/services.mjs; never the shared ones other runs use), and
 * the Keyward store over one of them in a namespace of its own.
 */
import { join } from 'node:path'
import type { KeyStore } from '@keyward/core'
import { PostgresKeyStore } from '@keyward/postgres'
import { RedisKeyStore } from '@keyward/redis'
import { PG_PORT, pgUrl, REDIS_PORT, redisUrl, SERVICES_DIR, startPostgres, startRedis, stopPostgres, stopRedis } from '../../scripts/services.mjs'

export type StoreKind = 'postgres' | 'redis'
export const STORE_KINDS: readonly StoreKind[] = ['postgres', 'redis']
export const PREFIX = 'acme_live'
export const PEPPER = 'bench-pepper-0123456789-0123456789-abcdef'

/** A PostgreSQL or Redis server this process started on its own port, which it may stop and restart. */
export interface PrivateService {
  kind: StoreKind
  port: number
  url: string
  /** Stop the server (PostgreSQL: fast shutdown; Redis: SHUTDOWN SAVE, so the data survives). */
  stop(): Promise<void>
  /** Start it again on the same port with the same data. */
  restart(): Promise<void>
}

const running = new Set<PrivateService>()

export async function startPrivateService(kind: StoreKind, port: number): Promise<PrivateService> {
  if (port === PG_PORT || port === REDIS_PORT) throw new Error(`port ${port} is a shared server's; the benches only stop private ones`)
  const dir = join(SERVICES_DIR, `${kind === 'postgres' ? 'pg' : 'redis'}-${port}`)
  let service: PrivateService
  if (kind === 'postgres') {
    await startPostgres({ port, dir })
    service = {
      kind,
      port,
      url: pgUrl(port),
      stop: async () => {
        if (!(await stopPostgres({ port, dir }))) throw new Error(`could not stop PostgreSQL on ${port}`)
      },
      restart: async () => {
        await startPostgres({ port, dir })
      },
    }
  } else {
    // An empty Redis to start with; SHUTDOWN SAVE + persist keep the data across restart().
    await stopRedis({ port })
    await startRedis({ port, dir, persist: false })
    service = {
      kind,
      port,
      url: redisUrl(port),
      stop: async () => {
        if (!(await stopRedis({ port, save: true }))) throw new Error(`could not stop Redis on ${port}`)
      },
      restart: async () => {
        await startRedis({ port, dir, persist: true })
      },
    }
  }
  running.add(service)
  return service
}

/** Stop every private server started here (whether or not a fault left it stopped). */
export async function stopPrivateServices(): Promise<void> {
  for (const service of [...running]) {
    running.delete(service)
    if (service.kind === 'postgres') await stopPostgres({ port: service.port, dir: join(SERVICES_DIR, `pg-${service.port}`) }).catch(() => false)
    else await stopRedis({ port: service.port }).catch(() => false)
  }
}

/**
 * The Keyward store over `url`, in `namespace` (PostgreSQL schema / Redis key prefix). Store
 * timeouts are left at their defaults unless given.
 */
export function openStore(kind: StoreKind, url: string, namespace: string, timeoutMs?: number): KeyStore & { close(): Promise<void> } {
  if (kind === 'postgres')
    return new PostgresKeyStore({
      connection: url,
      schema: namespace,
      ...(timeoutMs !== undefined && { queryTimeoutMs: timeoutMs, connectionTimeoutMs: timeoutMs }),
    })
  return new RedisKeyStore({ redis: url, prefix: `${namespace}:`, ...(timeoutMs !== undefined && { timeoutMs }) })
}

/** The store's own default timeout for one call, as documented in its options. */
export const DEFAULT_STORE_TIMEOUT_MS: Record<StoreKind, number> = { postgres: 5_000, redis: 2_000 }
