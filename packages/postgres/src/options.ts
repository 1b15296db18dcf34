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
   * A streaming standby of `connection` (one server, not a load-balanced set) to read from: a
   * connection string, or your own `pg.Pool` (not ended by `close()`). Lookups of keys and owners
   * on the verification path, and listings, read from it; every write, counter, credit, usage,
   * audit and ledger call and LISTEN stay on `connection`. It never answers with a record older
   * than one the store knows changed: an id changed through this store, or notified as changed,
   * reads from the primary until the replica has replayed that change (`pg_last_wal_replay_lsn()`),
   * and so do listings after any change, and every read while the change feed is down. A miss on
   * the replica is asked again of the primary (a key just created works at once); a failing
   * replica is skipped (reads go to the primary) for 1 s, doubling up to 30 s while it keeps failing.
   * @default undefined (everything on `connection`)
   * @example 'postgres://app@db-replica.internal:5432/app'
   */
  replica?: string | pg.Pool
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
