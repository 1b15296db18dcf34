import { KeyStoreSchemaError } from '@keyward/core/store'
import type pg from 'pg'
import { createMigrationsTableSql, LATEST_VERSION, MIGRATIONS } from './migrations.js'
import { qualified, type PgNames } from './names.js'

/** Named in schema errors: which package to upgrade, and which function prints its SQL. */
const SCHEMA_ERROR_STORE = { packageName: '@keyward/postgres', migrationSql: 'postgresMigrationSql' }

/** The schema of one store: its version, the migrations, and the check before first use. */
export class PgSchema {
  readonly #pool: pg.Pool
  readonly #names: PgNames
  readonly #migrateOnUse: boolean
  #ready: Promise<void> | undefined
  /** Whether the check passed (then no query waits for it again). */
  isReady = false

  constructor(pool: pg.Pool, names: PgNames, migrateOnUse: boolean) {
    this.#pool = pool
    this.#names = names
    this.#migrateOnUse = migrateOnUse
  }

  /** Apply pending migrations in one transaction, under an advisory lock so concurrent stores apply each once. */
  async migrate(): Promise<void> {
    const client = await this.#pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`keyward:${this.#names.schema}.${this.#names.table}`])
      await client.query(createMigrationsTableSql(this.#names))
      const version = await this.version(client)
      if (version > LATEST_VERSION) throw this.#error('schema_too_new', version)
      for (const m of MIGRATIONS) {
        if (m.version <= version) continue
        await client.query(m.sql(this.#names))
        await client.query(`INSERT INTO ${qualified(this.#names, '_migrations')} (version, name) VALUES ($1, $2)`, [m.version, m.name])
      }
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw error
    } finally {
      client.release()
    }
  }

  /** The schema version in the database (0 when none). */
  async version(runner: pg.Pool | pg.PoolClient = this.#pool): Promise<number> {
    const exists = await runner.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [qualified(this.#names, '_migrations')])
    if (exists.rows[0]?.t == null) return 0
    const result = await runner.query<{ v: number }>(
      `SELECT COALESCE(MAX(version), 0)::int AS v FROM ${qualified(this.#names, '_migrations')}`,
    )
    return result.rows[0]!.v
  }

  #error(code: 'schema_missing' | 'schema_outdated' | 'schema_too_new', version: number): KeyStoreSchemaError {
    return new KeyStoreSchemaError(
      code,
      version,
      LATEST_VERSION,
      `schema "${this.#names.schema}", table "${this.#names.table}"`,
      SCHEMA_ERROR_STORE,
    )
  }

  /** Check (and with `migrate`, bring up to date) the schema once; retried after a failure. */
  ensureReady(): Promise<void> {
    this.#ready ??= (async () => {
      const version = await this.version()
      if (version > LATEST_VERSION) throw this.#error('schema_too_new', version)
      if (version < LATEST_VERSION) {
        if (!this.#migrateOnUse) throw this.#error(version === 0 ? 'schema_missing' : 'schema_outdated', version)
        await this.migrate()
      }
      this.isReady = true
    })().catch((error: unknown) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }
}
