import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyward, KEY_RE, type Run } from './run.js'
import { freshPostgresUrl } from './servers.js'

const PEPPER = 'cli-test-pepper-0123456789-0123456789'
const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const backends: Array<[string, () => Promise<string>]> = [
  ['SQLite', async () => `sqlite:${join(dir, `keys-${Math.random().toString(36).slice(2)}.db`)}`],
  ['PostgreSQL', freshPostgresUrl],
]

describe.each(backends)('keyward CLI over %s', (_name, makeStore) => {
  let env: Record<string, string>
  const run = (...args: string[]): Run => keyward(args, { env, cwd: dir })
  beforeAll(async () => {
    env = { KEYWARD_STORE: await makeStore(), KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER }
  })

  it('creates a key, printing it once and alone on stdout', () => {
    const created = run('create', '--name', 'HubSpot CRM sync', '--owner', 'team-1', '--scope', 'contacts:*')
    expect(created.code).toBe(0)
    expect(created.stdout.trim()).toMatch(KEY_RE)
    expect(created.stdout.split('\n').filter(Boolean)).toHaveLength(1)
    expect(created.stderr).toMatch(/only time the key is shown/)
    const listed = run('list')
    expect(listed.stdout).toContain('HubSpot CRM sync')
    expect(listed.stdout).not.toContain(created.stdout.trim())
    expect(listed.stdout).toMatch(/acme_live_\w{4}…\w{4}/)
  })

  it('runs the whole lifecycle with meaningful exit codes', () => {
    const key = run('create', '--name', 'Lifecycle', '--scope', 'messages:send').stdout.trim()
    const info = JSON.parse(run('verify', key, '--json').stdout)
    expect(info).toMatchObject({ ok: true, key: { name: 'Lifecycle' } })
    const id = info.key.id as string
    expect(run('verify', key, '--scope', 'messages:send').code).toBe(0)
    expect(run('verify', key, '--scope', 'contacts:sync')).toMatchObject({ code: 1, stdout: expect.stringMatching(/insufficient_scope/) })
    expect(keyward(['verify', '-'], { env, cwd: dir, input: `${key}\n` }).code).toBe(0)
    expect(run('disable', id).code).toBe(0)
    expect(run('verify', key)).toMatchObject({ code: 1, stdout: expect.stringMatching(/disabled/) })
    expect(run('enable', id).code).toBe(0)
    expect(run('update', id, '--name', 'Renamed', '--json').stdout).toMatch(/"name":"Renamed"/)
    const rotated = run('rotate', id, '--grace', '1h')
    expect(rotated.code).toBe(0)
    const next = rotated.stdout.trim()
    expect(next).toMatch(KEY_RE)
    expect(run('verify', next).code).toBe(0)
    expect(run('verify', key).code).toBe(0) // within the grace period
    expect(run('rotate', id).code).toBe(5) // already rotated
    expect(run('revoke', id).code).toBe(0)
    expect(run('verify', key)).toMatchObject({ code: 1, stdout: expect.stringMatching(/revoked/) })
    expect(run('enable', id).code).toBe(5)
    expect(run('list', '--json').stdout).not.toContain(`"id":"${id}"`)
    expect(run('list', '--all', '--json').stdout).toContain(`"id":"${id}"`)
    expect(run('delete', id).code).toBe(0)
    expect(run('get', id)).toMatchObject({ code: 3, stderr: expect.stringMatching(/no API key with id/) })
    expect(run('verify', 'acme_live_typo').code).toBe(1)
  })

  it('refuses bad input clearly without writing', () => {
    const before = JSON.parse(run('list', '--json', '--all').stdout).items.length
    expect(run('create')).toMatchObject({ code: 2, stderr: expect.stringMatching(/name/) })
    expect(run('create', '--name', 'x', '--scope', 'Bad Scope')).toMatchObject({ code: 2, stderr: expect.stringMatching(/scopes\[0\]/) })
    expect(run('create', '--name', 'x', '--expires', 'tomorrow-ish')).toMatchObject({ code: 2 })
    expect(run('rotate', 'abc', '--grace', 'soon').code).toBe(2)
    expect(run('frobnicate').code).toBe(2)
    expect(run('list', '--bogus').code).toBe(2)
    expect(JSON.parse(run('list', '--json', '--all').stdout).items.length).toBe(before)
  })
})

describe('keyward CLI configuration', () => {
  it('explains a bad store URL, a missing prefix and an unreachable store', () => {
    const bad = keyward(['list'], { env: { KEYWARD_STORE: 'mysql://x', KEYWARD_PREFIX: 'acme' } })
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringMatching(/unsupported store URL .*sqlite:/) })
    expect(keyward(['list'], { env: { KEYWARD_STORE: 'sqlite:x.db' } })).toMatchObject({ code: 2, stderr: expect.stringMatching(/prefix/) })
    expect(keyward(['list'], { env: { KEYWARD_PREFIX: 'acme' } })).toMatchObject({ code: 2, stderr: expect.stringMatching(/no store/) })
    const down = keyward(['list', '--store', 'postgres://nobody@127.0.0.1:1/none', '--prefix', 'acme'])
    expect(down.code).toBe(4)
    expect(keyward(['create', '--name', 'x', '--store', 'sqlite:y.db', '--prefix', 'Not Valid'], { cwd: dir }).code).toBe(2)
  })

  it('reads a config file, with flags taking precedence', () => {
    const config = join(dir, 'keyward.config.json')
    writeFileSync(config, JSON.stringify({ store: `sqlite:${join(dir, 'config.db')}`, prefix: 'cfg_test', pepper: PEPPER }))
    const created = keyward(['create', '--name', 'from config'], { cwd: dir })
    expect(created.stdout.trim()).toMatch(/^cfg_test_/)
    expect(keyward(['verify', created.stdout.trim()], { cwd: dir }).code).toBe(0)
    expect(keyward(['verify', created.stdout.trim(), '--prefix', 'other'], { cwd: dir }).code).toBe(1)
    rmSync(config)
  })

  it('prints help', () => {
    expect(keyward(['--help'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/Usage: keyward/) })
  })
})
