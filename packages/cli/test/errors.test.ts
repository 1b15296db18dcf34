/**
 * The CLI maps each Keyward error by its class to a documented exit code and one line on stderr:
 * a store it cannot reach says why (the driver's reason, never the URL's password), a schema too
 * new says what to run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { createKeyward } from '@keyward/core'
import { SQLITE_SCHEMA_VERSION, SqliteKeyStore } from '@keyward/sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../../../scripts/services.mjs'
import { keyward, mintKey, type Run } from './run.js'

const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-errors-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// On a line naming a password, so the suite-wide secret check also fails if it is ever printed.
const STORE_PASSWORD = 'store-password-Zq8TnW3xR5vL1mK9pB7'
const PEPPER = 'cli-test-pepper-0123456789-0123456789'

/** `run`'s output, also handed to this process's stderr so the suite-wide secret check reads it. */
function checked(run: Run): Run {
  process.stderr.write(`[keyward exit ${run.code}] ${run.stdout}${run.stderr}`)
  return run
}

describe('keyward CLI errors, by class', () => {
  it.each([
    ['PostgreSQL', (port: number) => `postgres://keyward:${STORE_PASSWORD}@127.0.0.1:${port}/keys`],
    ['Redis', (port: number) => `redis://:${STORE_PASSWORD}@127.0.0.1:${port}`],
  ])('an unreachable %s store: exit 4, naming the operation and the reason, never the password', async (_name, url) => {
    const run = checked(
      keyward(['list'], { env: { KEYWARD_STORE: url(await freePort()), KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER } }),
    )
    expect(run.code).toBe(4)
    expect(run.stderr).toMatch(/^keyward: The key store failed during list: .*ECONNREFUSED.*\n$/)
    expect(run.stdout + run.stderr).not.toContain(STORE_PASSWORD.slice(0, 10))
  })

  it('verify against an unreachable store: exit 4, the refusal on stdout and the reason on stderr, one line each', async () => {
    const store = `postgres://keyward:${STORE_PASSWORD}@127.0.0.1:${await freePort()}/keys`
    const run = checked(
      keyward(['verify', '-'], { input: mintKey(), env: { KEYWARD_STORE: store, KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER } }),
    )
    expect(run).toMatchObject({ code: 4, stdout: expect.stringMatching(/^refused: store_unavailable — [^\n]*\n$/) })
    expect(run.stderr).toMatch(/^keyward: The key store failed during findById: .*ECONNREFUSED[^\n]*\n$/)
    expect(run.stdout + run.stderr).not.toContain(STORE_PASSWORD.slice(0, 10))
  })

  it.each([
    [
      'a database that does not exist',
      (url: URL) => Object.assign(url, { pathname: '/no_such_db' }),
      /3D000: database "no_such_db" does not exist/,
    ],
    [
      'a role that does not exist',
      (url: URL) => Object.assign(url, { username: 'no_such_role' }),
      /28000: role "no_such_role" does not exist/,
    ],
  ])("a wrong PostgreSQL URL (%s): exit 4, one line with the server's reason, never the password", (_name, wrong, reason) => {
    const url = wrong(new URL(process.env.KEYWARD_TEST_PG_URL!))
    url.password = STORE_PASSWORD
    const run = checked(keyward(['list'], { env: { KEYWARD_STORE: url.toString(), KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER } }))
    expect(run).toMatchObject({ code: 4, stdout: '' })
    expect(run.stderr).toMatch(/^keyward: The key store failed during list: [^\n]*\n$/)
    expect(run.stderr).toMatch(reason)
    expect(run.stderr).not.toContain(STORE_PASSWORD.slice(0, 10))
  })

  it('a file that is not a database: exit 4, naming the reason', () => {
    const file = join(dir, 'not-a-db.db')
    writeFileSync(file, 'plain text, not SQLite '.repeat(50))
    const run = keyward(['list'], { env: { KEYWARD_STORE: `sqlite:${file}`, KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER } })
    expect(run).toMatchObject({ code: 4, stderr: expect.stringMatching(/^keyward: The key store failed during open: .*not a database/) })
  })

  it('a schema newer than the CLI: exit 4 and a line that says what to run', () => {
    const file = join(dir, 'future.db')
    const env = { KEYWARD_STORE: `sqlite:${file}`, KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER }
    expect(keyward(['list'], { env }).code).toBe(0)
    const db = new Database(file)
    db.prepare('INSERT INTO keyward_keys_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      SQLITE_SCHEMA_VERSION + 1,
      'future',
      Date.now(),
    )
    db.close()
    expect(keyward(['list'], { env })).toEqual({
      code: 4,
      stdout: '',
      stderr: `keyward: the key store's schema is at version ${SQLITE_SCHEMA_VERSION + 1}, newer than this keyward CLI supports (${SQLITE_SCHEMA_VERSION}): run npm install -g @keyward/cli@latest (or upgrade @keyward/cli in your project)\n`,
    })
  })

  it('not found is 3, bad input is 2 naming the field, a forbidden state change is 5', () => {
    const env = { KEYWARD_STORE: `sqlite:${join(dir, 'classes.db')}`, KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER }
    expect(keyward(['get', 'AAAAAAAAAAAA'], { env })).toMatchObject({ code: 3, stderr: 'keyward: no API key with id "AAAAAAAAAAAA"\n' })
    expect(keyward(['revoke', 'AAAAAAAAAAAA'], { env })).toMatchObject({ code: 3, stderr: 'keyward: No API key with id "AAAAAAAAAAAA".\n' })
    expect(keyward(['create', '--name', 'x', '--scope', 'Bad Scope'], { env })).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^keyward: scopes\[0\]: /),
    })
    const id = JSON.parse(keyward(['create', '--name', 'revoked', '--json'], { env }).stdout).info.id as string
    expect(keyward(['revoke', id], { env }).code).toBe(0)
    expect(keyward(['enable', id], { env })).toMatchObject({ code: 5, stderr: expect.stringMatching(/^keyward: .*revoked/) })
  })

  it("creating past an owner's maxKeys is refused: exit 5, naming the cap", async () => {
    const file = join(dir, 'capped.db')
    const env = { KEYWARD_STORE: `sqlite:${file}`, KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER }
    const store = new SqliteKeyStore(file)
    const app = createKeyward({ prefix: 'acme_live', store, pepper: PEPPER })
    await app.owners.set('team-1', { maxKeys: 1 })
    await app.close()
    await store.close()
    expect(keyward(['create', '--name', 'first', '--owner', 'team-1'], { env }).code).toBe(0)
    expect(keyward(['create', '--name', 'second', '--owner', 'team-1'], { env })).toMatchObject({
      code: 5,
      stderr: 'keyward: Owner "team-1" already has 1 live API keys, the most it may hold. Revoke one first.\n',
    })
  })
})
