import { resolve } from 'node:path'
import type { KeyStore } from '@keyward/core/store'
import { CliError } from './errors.js'
import { urlScheme } from './redact.js'
import { importStorePackage } from './store-package.js'
import type { StoreLocation } from './store-target.js'

const EXAMPLES = 'sqlite:./keys.db, postgres://user@host/db or redis://host:6379'
// Optional peers of the CLI: each is loaded only for a URL of its scheme.
const SQLITE = { scheme: 'sqlite', store: '@keyward/sqlite', driver: 'better-sqlite3' }
const POSTGRES = { scheme: 'postgres', store: '@keyward/postgres', driver: 'pg' }
const REDIS = { scheme: 'redis', store: '@keyward/redis', driver: 'ioredis' }

/**
 * Open a store from a URL: `sqlite:<path>` (relative to `cwd`), `postgres://…`/`postgresql://…`,
 * `redis://…`/`rediss://…`. Store packages and drivers are optional peers, loaded only when used. `location` is the stores' own `namespace`
 * (PostgreSQL schema, Redis key prefix) and `table` (SQLite, PostgreSQL).
 */
export async function openStore(url: string, cwd: string, location: StoreLocation = {}): Promise<KeyStore> {
  const scheme = /^([a-z]+):/.exec(url)?.[1]
  switch (scheme) {
    case 'sqlite': {
      const path = url.replace(/^sqlite:(\/\/)?/, '')
      if (path === '') throw new CliError(`--store sqlite: needs a file, like sqlite:./keys.db`)
      const { SqliteKeyStore } = await importStorePackage(SQLITE, () => import('@keyward/sqlite'))
      return new SqliteKeyStore({ connection: path === ':memory:' ? path : resolve(cwd, path), ...location })
    }
    case 'postgres':
    case 'postgresql': {
      const { PostgresKeyStore } = await importStorePackage(POSTGRES, () => import('@keyward/postgres'))
      return new PostgresKeyStore({ connection: url, connectTimeoutMs: 3_000, ...location })
    }
    case 'redis':
    case 'rediss': {
      const { RedisKeyStore } = await importStorePackage(REDIS, () => import('@keyward/redis'))
      return new RedisKeyStore({ connection: url, ...location })
    }
    default:
      // Only the scheme: the rest of a URL may hold a password, and a malformed one cannot be trusted to parse.
      throw new CliError(`unsupported store URL (scheme ${urlScheme(url)}): use ${EXAMPLES}`)
  }
}
