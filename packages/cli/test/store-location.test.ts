/**
 * The CLI reaches keys wherever the servers keep them: a PostgreSQL schema (`?schema=` in the URL,
 * `--schema`, `--namespace`), a table (`--table`), a Redis namespace (`--namespace`), against the
 * real servers, and refuses an option the store does not have instead of ignoring it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { keyward, KEY_RE, type Run } from './run.js'
import { freshPostgresUrl, redisUrl } from './servers.js'

const PEPPER = 'cli-test-pepper-0123456789-0123456789'
const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-location-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const env = { KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER }
const run = (...args: string[]): Run => keyward(args, { env, cwd: dir })

/** The ids `keyward list` shows with these arguments. */
function listedIds(...args: string[]): string[] {
  const listed = run('list', '--json', ...args)
  expect(listed).toMatchObject({ code: 0, stderr: '' })
  return (JSON.parse(listed.stdout).items as { id: string }[]).map((item) => item.id)
}

/** The id of a key created with these arguments. */
function createdId(...args: string[]): string {
  const created = run('create', '--name', 'located', '--json', ...args)
  expect(created.code).toBe(0)
  const { key, info } = JSON.parse(created.stdout) as { key: string; info: { id: string } }
  expect(key).toMatch(KEY_RE)
  return info.id
}

async function tables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
    )
    return rows.map((row) => row.name)
  } finally {
    await client.end()
  }
}

describe('keyward CLI over a PostgreSQL schema and table', () => {
  it('?schema= in the URL is the schema the keys live in, as --schema and --namespace are', async () => {
    const url = await freshPostgresUrl()
    const id = createdId('--store', `${url}?schema=auth`)
    expect(await tables(url)).toContain('auth.keyward_keys')
    expect(await tables(url)).not.toContain('public.keyward_keys')
    expect(listedIds('--store', `${url}?schema=auth`)).toEqual([id])
    expect(listedIds('--store', url, '--schema', 'auth')).toEqual([id])
    expect(listedIds('--store', url, '--namespace', 'auth')).toEqual([id])
    expect(keyward(['list', '--json', '--store', url], { env: { ...env, KEYWARD_NAMESPACE: 'auth' } }).stdout).toContain(id)
    expect(listedIds('--store', url)).toEqual([]) // public
  })

  it('--table names the keys table within the schema', async () => {
    const url = await freshPostgresUrl()
    const id = createdId('--store', url, '--schema', 'auth', '--table', 'api_keys')
    expect(await tables(url)).toEqual(expect.arrayContaining(['auth.api_keys', 'auth.api_keys_migrations']))
    expect(await tables(url)).not.toContain('auth.keyward_keys')
    expect(listedIds('--store', `${url}?schema=auth`, '--table', 'api_keys')).toEqual([id])
  })

  it('a schema named twice, differently, is refused before anything is written', async () => {
    const url = await freshPostgresUrl()
    expect(run('create', '--name', 'x', '--store', `${url}?schema=auth`, '--schema', 'other')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'keyward: --namespace and the store URL\'s "schema" disagree: give one of them\n',
    })
    expect(run('list', '--store', url, '--schema', 'a', '--namespace', 'b')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/disagree/),
    })
    expect(await tables(url)).toEqual([])
  })

  it('an invalid schema name is bad input (exit 2), not a store failure', async () => {
    expect(run('list', '--store', await freshPostgresUrl(), '--schema', 'no such;schema')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^keyward: namespace must match/),
    })
  })
})

describe('keyward CLI over a Redis namespace', () => {
  it('--namespace is the prefix of every Redis key the store writes', async () => {
    const namespace = `cli${Date.now()}:`
    const id = createdId('--store', redisUrl(), '--namespace', namespace)
    const redis = new Redis(redisUrl())
    try {
      // Whatever the store's key layout, every key naming the record starts with the namespace.
      const keys = await redis.keys(`*${id}*`)
      expect(keys.length).toBeGreaterThan(0)
      expect(keys.filter((key) => !key.startsWith(namespace))).toEqual([])
    } finally {
      redis.disconnect()
    }
    expect(listedIds('--store', redisUrl(), '--namespace', namespace)).toEqual([id])
    expect(listedIds('--store', redisUrl())).not.toContain(id)
  })

  it('--table and --schema are refused: Redis has neither', () => {
    expect(run('list', '--store', redisUrl(), '--table', 'api_keys')).toMatchObject({ code: 2, stderr: expect.stringMatching(/no tables/) })
    expect(run('list', '--store', redisUrl(), '--schema', 'auth')).toMatchObject({ code: 2, stderr: expect.stringMatching(/--namespace/) })
  })
})

describe('keyward CLI over a SQLite table', () => {
  it('--table names the keys table; --namespace is refused', () => {
    const file = join(dir, 'tables.db')
    const id = createdId('--store', `sqlite:${file}`, '--table', 'api_keys')
    const db = new Database(file, { readonly: true })
    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((row) => row.name)
    db.close()
    expect(names).toContain('api_keys')
    expect(names).not.toContain('keyward_keys')
    expect(listedIds('--store', `sqlite:${file}`, '--table', 'api_keys')).toEqual([id])
    expect(run('list', '--store', `sqlite:${file}`, '--namespace', 'x')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/no namespace/),
    })
  })
})
