import type Database from 'better-sqlite3'

type Db = Database.Database

/** Options of {@link SqliteKeyStore}. */
export interface SqliteKeyStoreOptions {
  /**
   * A file path (`':memory:'` for a private in-memory database) or an open better-sqlite3
   * `Database`. A database passed in is not closed by `close()`.
   * @example './keys.db'
   */
  connection: string | Db
  /**
   * Name of the keys table; companion tables get it as prefix (`_changes`, `_counters`, `_migrations`,
   * `_usage`, `_audit`, `_notifications`, `_leases`).
   * Several deployments may share a file, each with its own table.
   * @default 'keyward_keys'
   */
  table?: string
  /**
   * Run pending migrations when the store opens. With `false`, a missing or outdated schema is an
   * error (apply {@link sqliteMigrationSql} yourself).
   * @default true
   */
  migrate?: boolean
  /**
   * How often `subscribe` checks the file for changes made by other processes (the CLI, another
   * server). A check is one `PRAGMA data_version` unless something changed.
   * @default 200
   */
  pollIntervalMs?: number
  /**
   * How long an operation on the request path (finding a key, rate-limit and throttle counters,
   * credits, last-used times) waits for another process's write lock before it fails, and with it
   * the request (`store_unavailable`, fail closed). Waited asynchronously, so the event loop keeps
   * serving requests.
   * @default 100
   */
  requestTimeoutMs?: number
  /**
   * How long a management operation (create, list, update, revoke, rotate, delete, and the
   * migrations when the store opens) waits for another process's write lock before failing. After
   * the store has opened, waited asynchronously like `requestTimeoutMs`.
   * @default 5000
   */
  managementTimeoutMs?: number
  /** @deprecated Renamed {@link SqliteKeyStoreOptions.managementTimeoutMs}; accepted, with a warning, until the next release. */
  busyTimeoutMs?: number
}

/** The options of the previous release: `database` for `connection` (accepted, with a warning, until the next). */
export type DeprecatedSqliteKeyStoreOptions = Omit<SqliteKeyStoreOptions, 'connection'> & {
  /** @deprecated Renamed {@link SqliteKeyStoreOptions.connection}. */
  database: string | Db
}

/** Old option names and the new ones they now set. */
export const RENAMED = { database: ['connection'], busyTimeoutMs: ['managementTimeoutMs'] } as const

/** A timeout option: `fallback` when unset, else an integer of at least 0. */
export function timeout(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be an integer of at least 0, got ${String(value)}`)
  return value
}
