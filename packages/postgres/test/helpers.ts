import { POSTGRES_MIGRATIONS, PostgresKeyStore, type PostgresKeyStoreOptions } from '@keyward/postgres'
import pg from 'pg'
import { afterAll } from 'vitest'
import { pgUrl } from '../../../scripts/services.mjs'

/** The shared test server (started by the globalSetup). */
export const PG_URL = process.env.KEYWARD_TEST_PG_URL ?? pgUrl()

let n = 0
/** A schema name no other test uses. */
export const freshSchema = (): string => `kw_t${process.pid}_${Date.now().toString(36)}_${++n}`

const admin = new pg.Pool({ connectionString: PG_URL, max: 2 })
const schemas: string[] = []
afterAll(async () => {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined)
  await admin.end()
})

/** A store on a fresh schema of the shared server; the schema is dropped after the file. */
export function freshStore(options: Partial<PostgresKeyStoreOptions> = {}): PostgresKeyStore {
  const namespace = options.namespace ?? freshSchema()
  schemas.push(namespace)
  return new PostgresKeyStore({ connection: PG_URL, max: 4, ...options, namespace })
}

/** A fresh schema (dropped after the file) migrated by hand up to `version`, as an older release left it. */
export async function schemaAtVersion(version: number): Promise<string> {
  const namespace = freshSchema()
  schemas.push(namespace)
  await admin.query(
    `CREATE SCHEMA "${namespace}"; CREATE TABLE "${namespace}".keyward_keys_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());`,
  )
  for (const m of POSTGRES_MIGRATIONS.filter((m) => m.version <= version)) {
    await admin.query(m.sql({ schema: namespace, table: 'keyward_keys' }))
    await admin.query(`INSERT INTO "${namespace}".keyward_keys_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name])
  }
  return namespace
}

export { admin }
