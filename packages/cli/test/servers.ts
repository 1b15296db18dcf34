import pg from 'pg'

/** A new, empty PostgreSQL database on the test server (globalSetup), as a URL. */
export async function freshPostgresUrl(): Promise<string> {
  const base = process.env.KEYWARD_TEST_PG_URL
  if (!base) throw new Error('KEYWARD_TEST_PG_URL is not set (globalSetup)')
  const name = `cli_${Date.now()}_${Math.floor(Math.random() * 1e6)}`
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(base)
  url.pathname = `/${name}`
  return url.toString()
}

/** The test Redis server (globalSetup). */
export function redisUrl(): string {
  const url = process.env.KEYWARD_TEST_REDIS_URL
  if (!url) throw new Error('KEYWARD_TEST_REDIS_URL is not set (globalSetup)')
  return url
}
