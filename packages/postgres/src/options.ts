import type pg from 'pg'

/** Options of {@link PostgresKeyStore}. */
export interface PostgresKeyStoreOptions {
  /**
   * A connection string, or your own `pg.Pool` (not ended by `close()`). The store adds a no-op
   * `error` listener to the pool, so an idle connection dropped by the server cannot crash the process.
   * @example 'postgres://app@db.internal:5432/app'
   */
  connection: string | pg.Pool
  /**
   * The PostgreSQL schema (`pg_namespace`) of the store's tables; created by the migrations when
   * missing. Keeps deployments apart on one server, as the key prefix does in Redis.
   * @default 'public'
   */
  namespace?: string
  /**
   * Name of the keys table; companion objects get it as prefix (`_migrations`, `_counters`, `_notify`, `_usage`, `_audit`,
   * `_notifications`, `_leases`, `_usage_batches`, `_owners`, the functions `_live_keys` and `_charge`).
   * @default 'keyward_keys'
   */
  table?: string
  /**
   * Run pending migrations on first use. With `false`, a missing or outdated schema is an error
   * (apply {@link postgresMigrationSql} yourself).
   * @default true
   */
  migrate?: boolean
  /**
   * A query on the request path (finding a key, rate-limit and throttle counters, credits,
   * last-used times) with no answer after this long rejects, and the request fails closed
   * (`store_unavailable`).
   * @default 5000
   */
  requestTimeoutMs?: number
  /**
   * A management query (create, list, update, revoke, rotate, delete, the schema check and the
   * migrations) with no answer after this long rejects.
   * @default 5000
   */
  managementTimeoutMs?: number
  /**
   * Connecting gives up after this long. Applies to pools the store creates and to the LISTEN connection.
   * @default 5000
   */
  connectTimeoutMs?: number
  /**
   * Size of a pool the store creates from a connection string.
   * @default 10
   */
  max?: number
  /** @deprecated Renamed {@link PostgresKeyStoreOptions.namespace}; accepted, with a warning, until the next release. */
  schema?: string
  /** @deprecated Now {@link PostgresKeyStoreOptions.requestTimeoutMs} and {@link PostgresKeyStoreOptions.managementTimeoutMs}; accepted, with a warning, until the next release. */
  queryTimeoutMs?: number
  /** @deprecated Renamed {@link PostgresKeyStoreOptions.connectTimeoutMs}; accepted, with a warning, until the next release. */
  connectionTimeoutMs?: number
}

/** Old option names and the new ones they now set. */
export const RENAMED = {
  schema: ['namespace'],
  queryTimeoutMs: ['requestTimeoutMs', 'managementTimeoutMs'],
  connectionTimeoutMs: ['connectTimeoutMs'],
} as const

/** `value`, checked to be a positive integer, or `fallback` when not given. */
export function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`)
  return value
}
