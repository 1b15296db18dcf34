import { resolve } from 'node:path'
import type { KeyStore } from '@keyward/core/store'
import { CliError } from './errors.js'
import { urlScheme } from './redact.js'
import type { StoreLocation } from './store-target.js'

const EXAMPLES = 'sqlite:./keys.db, postgres://user@host/db or redis://host:6379'

/**
 * Open a store from a URL: `sqlite:<path>` (relative to `cwd`), `postgres://…`/`postgresql://…`,
 * `redis://…`/`rediss://…`. Drivers load only when used. `location` is the stores' own `namespace`
 * (PostgreSQL schema, Redis key prefix) and `table` (SQLite, PostgreSQL).
 */
export async function openStore(url: string, cwd: string, location: StoreLocation = {}): Promise<KeyStore> {
  const scheme = /^([a-z]+):/.exec(url)?.[1]
  switch (scheme) {
    case 'sqlite': {
      const path = url.replace(/^sqlite:(\/\/)?/, '')
      if (path === '') throw new CliError(`--store sqlite: needs a file, like sqlite:./keys.db`)
      const { SqliteKeyStore } = await import('@keyward/sqlite')
      return new SqliteKeyStore({ connection: path === ':memory:' ? path : resolve(cwd, path), ...location })
    }
    case 'postgres':
    case 'postgresql': {
      const { PostgresKeyStore } = await import('@keyward/postgres')
      return new PostgresKeyStore({ connection: url, connectTimeoutMs: 3_000, ...location })
    }
    case 'redis':
    case 'rediss': {
      const { RedisKeyStore } = await import('@keyward/redis')
      return new RedisKeyStore({ connection: url, ...location })
    }
    default:
      // Only the scheme: the rest of a URL may hold a password, and a malformed one cannot be trusted to parse.
      throw new CliError(`unsupported store URL (scheme ${urlScheme(url)}): use ${EXAMPLES}`)
  }
}
