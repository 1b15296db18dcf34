import { CliError } from './errors.js'

/** A store package and the database driver it needs: optional peers of the CLI, installed by whoever uses that store. */
export interface StorePackage {
  /** The URL scheme, as users write it (`sqlite`, `postgres`, `redis`). */
  scheme: string
  /** `@keyward/sqlite`, … */
  store: string
  /** `better-sqlite3`, `pg`, `ioredis`. */
  driver: string
}

/**
 * Import a store package (`load`, a literal `import()` so bundlers see it) or, when it or its driver
 * is not installed, fail in one line saying what to install: a PostgreSQL-only team installs no
 * SQLite driver, so the CLI loads a driver only for a URL that needs it.
 */
export async function importStorePackage<T>(needs: StorePackage, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (error) {
    const missing = missingPackage(error)
    if (missing === needs.driver) throw new CliError(installAdvice(needs, [needs.driver]))
    if (missing === needs.store) throw new CliError(installAdvice(needs, [needs.store, needs.driver]))
    throw error
  }
}

function installAdvice(needs: StorePackage, packages: string[]): string {
  return `install ${packages.join(' and ')} to use ${needs.scheme}: stores (npm i ${packages.join(' ')})`
}

/** The package a failed import could not find (ESM's ERR_MODULE_NOT_FOUND, CommonJS's MODULE_NOT_FOUND), or undefined. */
function missingPackage(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined
  return /Cannot find (?:package|module) '((?:@[^/']+\/)?[^/']+)/.exec(String((error as Error).message))?.[1]
}
