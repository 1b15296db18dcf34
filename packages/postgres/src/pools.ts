import pg from 'pg'
import { urlPasswords } from '@keyward/core/store'

/** How a pool made from a connection string is set up. */
export interface PoolSettings {
  max: number
  connectTimeoutMs: number
  /** The server cancels a statement after this long, and the driver gives up on it. */
  timeoutMs: number
}

/** `connection` as a pool: the caller's own, or one made from a connection string (`owned`: the store ends it). */
export function openPool(connection: string | pg.Pool, settings: PoolSettings): { pool: pg.Pool; owned: boolean } {
  const pool =
    typeof connection === 'string'
      ? new pg.Pool({
          connectionString: connection,
          max: settings.max,
          connectionTimeoutMillis: settings.connectTimeoutMs,
          query_timeout: settings.timeoutMs,
          statement_timeout: settings.timeoutMs,
          keepAlive: true,
        })
      : connection
  // An idle connection dropped by the server must not crash the process.
  pool.on('error', () => undefined)
  return { pool, owned: typeof connection === 'string' }
}

/** The passwords in `pool`'s configuration, kept out of every error. */
export function poolSecrets(pool: pg.Pool): string[] {
  const password = pool.options.password
  return [...urlPasswords(pool.options.connectionString), ...(typeof password === 'string' ? [password] : [])]
}

/** Whether `value` is a connection option's form: a connection string or a pool. */
export const isConnection = (value: unknown): value is string | pg.Pool =>
  typeof value === 'string' || typeof (value as { query?: unknown } | undefined)?.query === 'function'
