import { renameOptions } from '@keyward/core/store'
import type { RedisConnectionOption } from './client.js'

/** Options of {@link RedisKeyStore}. */
export interface RedisKeyStoreOptions {
  /**
   * A `redis://` URL, ioredis options, your own ioredis client or `Cluster` (not closed by
   * `close()`), or a Redis Cluster to connect to: `{ cluster: [startup nodes], options? }`. A client
   * the store creates has no offline queue and a command timeout, so commands fail fast while Redis
   * is down; give your own client `enableOfflineQueue: false` for the same (the store applies its
   * timeouts to every call).
   * @example 'redis://127.0.0.1:6379'
   * @example { cluster: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7000 }] }
   */
  connection: RedisConnectionOption
  /**
   * Prefix of every key and of the change channel: keeps deployments apart on one server, as the
   * schema does in PostgreSQL. Keys are sharded by hash tags after it, so it needs no hash tag on
   * Redis Cluster (one with a `{…}` puts the whole namespace in one slot).
   * @default 'keyward:'
   */
  namespace?: string
  /**
   * Bring the data up to this package's version on first use (stamp a new namespace, index the
   * records of an older one). With `false`, data of no or an older version is a `KeyStoreSchemaError`.
   * @default true
   */
  migrate?: boolean
  /**
   * A command on the request path (finding a key, rate-limit and throttle counters, credits,
   * last-used times) with no reply after this long rejects, and the request fails closed
   * (`store_unavailable`).
   * @default 2000
   */
  requestTimeoutMs?: number
  /**
   * A management command (create, list, update, revoke, rotate, delete, the version check) with no
   * reply after this long rejects.
   * @default 2000
   */
  managementTimeoutMs?: number
  /**
   * Connecting gives up after this long, and so does a call waiting for a connection being
   * (re)established.
   * @default 2000
   */
  connectTimeoutMs?: number
  /**
   * How a cluster carries change notifications. `'sharded'`: sharded pub/sub (`SPUBLISH` in the
   * control slot's shard, `SSUBSCRIBE` on its master; Redis 7 and an ioredis with
   * `shardedSubscribers`, 6 or 5.11). `'broadcast'`: classic `PUBLISH` from the script that writes
   * the record, which the cluster bus forwards to every node, and one `SUBSCRIBE` connection to any
   * one master (moved to the next master when it drops); works on Redis 6 and any ioredis 5.4+, at
   * the cost of every message crossing the bus to every node. `'auto'`: `'sharded'` when every master
   * that answers knows `SPUBLISH` (asked once per store, on its first command or `subscribe`), else `'broadcast'`.
   * Every instance of a deployment must use the same mode (pin it during an upgrade from Redis 6). A
   * single server always uses `PUBLISH`/`SUBSCRIBE`.
   * @default 'auto'
   * @example 'broadcast' // a Redis 6 cluster
   */
  changeChannel?: ChangeChannel
  /** @deprecated Renamed {@link RedisKeyStoreOptions.connection}; accepted, with a warning, until the next release. */
  redis?: RedisConnectionOption
  /** @deprecated Renamed {@link RedisKeyStoreOptions.namespace} (Keyward's own `prefix` is the key prefix); accepted, with a warning, until the next release. */
  prefix?: string
  /** @deprecated Now {@link RedisKeyStoreOptions.requestTimeoutMs}, `managementTimeoutMs` and `connectTimeoutMs`; accepted, with a warning, until the next release. */
  timeoutMs?: number
}

/** How a cluster carries change notifications (see {@link RedisKeyStoreOptions.changeChannel}). */
export type ChangeChannel = 'auto' | 'sharded' | 'broadcast'

const CHANGE_CHANNELS: readonly ChangeChannel[] = ['auto', 'sharded', 'broadcast']

/** The options of the previous release: `redis` for `connection` (accepted, with a warning, until the next). */
export type DeprecatedRedisKeyStoreOptions = Omit<RedisKeyStoreOptions, 'connection'> & {
  /** @deprecated Renamed {@link RedisKeyStoreOptions.connection}. */
  redis: RedisConnectionOption
}

/** The options checked, old names resolved and defaults applied. */
export interface ResolvedOptions {
  connection: RedisConnectionOption
  namespace: string
  migrate: boolean
  requestTimeoutMs: number
  managementTimeoutMs: number
  connectTimeoutMs: number
  changeChannel: ChangeChannel
}

/** Old option names and the new ones they now set. */
const RENAMED = {
  redis: ['connection'],
  prefix: ['namespace'],
  timeoutMs: ['requestTimeoutMs', 'managementTimeoutMs', 'connectTimeoutMs'],
} as const

/** Check the options (a URL alone is `{ connection }`), warn about old names and apply the defaults. */
export function resolveOptions(options: string | RedisKeyStoreOptions | DeprecatedRedisKeyStoreOptions): ResolvedOptions {
  const needs = 'RedisKeyStore needs { connection }: a URL, ioredis options or an ioredis client'
  if (!options) throw new TypeError(needs)
  const opts =
    typeof options === 'string' ? { connection: options } : renameOptions('@keyward/redis', options as RedisKeyStoreOptions, RENAMED)
  if (opts.connection === undefined || opts.connection === null) throw new TypeError(needs)
  const namespace = opts.namespace ?? 'keyward:'
  if (typeof namespace !== 'string') throw new TypeError('namespace must be a string')
  const changeChannel = opts.changeChannel ?? 'auto'
  if (!CHANGE_CHANNELS.includes(changeChannel))
    throw new TypeError(`changeChannel must be one of ${CHANGE_CHANNELS.map((c) => `'${c}'`).join(', ')}, got ${String(changeChannel)}`)
  return {
    connection: opts.connection,
    namespace,
    migrate: opts.migrate ?? true,
    requestTimeoutMs: positive('requestTimeoutMs', opts.requestTimeoutMs, 2_000),
    managementTimeoutMs: positive('managementTimeoutMs', opts.managementTimeoutMs, 2_000),
    connectTimeoutMs: positive('connectTimeoutMs', opts.connectTimeoutMs, 2_000),
    changeChannel,
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`)
  return value
}
