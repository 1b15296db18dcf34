import { renameOptions } from '@keyward/core/store'
import type pg from 'pg'
import { DEFAULT_SCHEMA, DEFAULT_TABLE } from './migrations.js'
import type { PgNames } from './names.js'
import { positive, RENAMED, type PostgresKeyStoreOptions } from './options.js'
import { isConnection, openPool, poolSecrets } from './pools.js'

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,40}$/
const NEEDS_CONNECTION = 'PostgresKeyStore needs { connection }: a connection string or a pg.Pool'

/** A store's options, checked, with defaults applied and its pools open. */
export interface StoreSettings {
  names: PgNames
  requestTimeoutMs: number
  managementTimeoutMs: number
  connectTimeoutMs: number
  migrate: boolean
  pool: pg.Pool
  replica: pg.Pool | undefined
  /** The pools made here (from connection strings), which the store ends on `close()`. */
  owned: pg.Pool[]
  /** The connections' passwords, kept out of every error. */
  secrets: string[]
}

/** Check `options` (throwing a `TypeError` or `RangeError` naming the bad one) and open the pools they name. */
export function storeSettings(options: string | PostgresKeyStoreOptions): StoreSettings {
  if (!options) throw new TypeError(NEEDS_CONNECTION)
  const opts = typeof options === 'string' ? { connection: options } : renameOptions('@keyward/postgres', options, RENAMED)
  if (!isConnection(opts.connection)) throw new TypeError(NEEDS_CONNECTION)
  if (opts.replica !== undefined && (!isConnection(opts.replica) || opts.replica === opts.connection))
    throw new TypeError('replica must be a connection string or a pg.Pool of a standby, other than connection')
  const names = { schema: opts.namespace ?? DEFAULT_SCHEMA, table: opts.table ?? DEFAULT_TABLE }
  for (const [label, value] of [
    ['namespace', names.schema],
    ['table', names.table],
  ] as const)
    if (!NAME_RE.test(value)) throw new TypeError(`${label} must match ${NAME_RE}, got ${JSON.stringify(value)}`)
  const requestTimeoutMs = positive('requestTimeoutMs', opts.requestTimeoutMs, 5_000)
  const managementTimeoutMs = positive('managementTimeoutMs', opts.managementTimeoutMs, 5_000)
  const connectTimeoutMs = positive('connectTimeoutMs', opts.connectTimeoutMs, 5_000)
  // The server cancels a statement after the longer of the two; each query's own deadline is its path's.
  const pools = { max: positive('max', opts.max, 10), connectTimeoutMs, timeoutMs: Math.max(requestTimeoutMs, managementTimeoutMs) }
  const primary = openPool(opts.connection, pools)
  const replica = opts.replica === undefined ? undefined : openPool(opts.replica, pools)
  return {
    names,
    requestTimeoutMs,
    managementTimeoutMs,
    connectTimeoutMs,
    migrate: opts.migrate ?? true,
    pool: primary.pool,
    replica: replica?.pool,
    owned: [primary, replica].flatMap((made) => (made?.owned ? [made.pool] : [])),
    secrets: [primary, replica].flatMap((made) => (made === undefined ? [] : poolSecrets(made.pool))),
  }
}
