import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { createKeyward } from '@keyward/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../src/stores.js'
import { expectNoSecret, keyward, type Run } from './run.js'
import { freshPostgresUrl } from './servers.js'

const PEPPER = 'cli-test-pepper-0123456789-0123456789'
const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-audit-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const ME = `cli:${userInfo().username}`

const backends: Array<[string, () => Promise<string>]> = [
  ['SQLite', async () => `sqlite:${join(dir, `keys-${Math.random().toString(36).slice(2)}.db`)}`],
  ['PostgreSQL', freshPostgresUrl],
]

const lines = (run: Run) =>
  run.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))

describe.each(backends)('keyward audit over %s', (_name, makeStore) => {
  let env: Record<string, string>
  let url: string
  const run = (...args: string[]): Run => keyward(args, { env, cwd: dir })
  beforeAll(async () => {
    url = await makeStore()
    env = { KEYWARD_STORE: url, KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER }
  })

  it('shows every CLI change with the OS user as actor, newest first, as JSON lines or a table', () => {
    const key = run('create', '--name', 'Audited', '--owner', 'team-7').stdout.trim()
    const id = key.split('_')[2]!
    expect(run('update', id, '--name', 'Audited 2', '--scope', 'a:b').code).toBe(0)
    expect(run('disable', id).code).toBe(0)
    expect(run('enable', id).code).toBe(0)
    const successor = run('rotate', id).stdout.trim().split('_')[2]!
    expect(run('revoke', successor).code).toBe(0)
    expect(run('delete', successor).code).toBe(0)

    const entries = lines(run('audit', '--key', id, '--json'))
    expect(entries.map((e) => [e.action, e.actor?.id, e.ownerId])).toEqual([
      ['key.rotated', ME, 'team-7'],
      ['key.enabled', ME, 'team-7'],
      ['key.disabled', ME, 'team-7'],
      ['key.updated', ME, 'team-7'],
      ['key.created', ME, 'team-7'],
    ])
    expect(entries[3].fields).toEqual(['name', 'scopes'])
    expect(lines(run('audit', '--key', successor, '--json')).map((e) => e.action)).toEqual(['key.deleted', 'key.revoked'])
    expect(lines(run('audit', '--owner', 'team-7', '--actor', ME, '--since', '1h', '--json'))).toHaveLength(7)
    expect(lines(run('audit', '--actor', 'someone-else', '--json'))).toEqual([])
    expect(lines(run('audit', '--since', '2999-01-01', '--json'))).toEqual([])

    const shown = run('audit', '--key', id)
    expect(shown.code).toBe(0)
    const [header, rule, ...rows] = shown.stdout.trimEnd().split('\n')
    expect(header!.split(/\s+/)).toEqual(['TIME', 'ACTION', 'KEY', 'OWNER', 'ACTOR', 'IP', 'FIELDS'])
    expect(rule).toMatch(/^-+( +-+){6}$/)
    expect(rows).toHaveLength(5)
    expect(rows[3]!.split(/\s+/)).toEqual([entries[3].at, 'key.updated', id, 'team-7', ME, '—', 'name,scopes'])
    expectNoSecret(shown, [key])
  })

  it('pages through the store up to --limit (default 50), naming the cursor when more remain', async () => {
    const store = await openStore(url, dir)
    const direct = createKeyward({ prefix: 'acme_live', store, pepper: PEPPER, logger: false })
    const actor = { id: 'bulk-importer', ip: '203.0.113.9' }
    for (let i = 0; i < 130; i++) await direct.create({ name: `Bulk ${i}`, ownerId: 'bulk' }, { actor })
    await direct.close()
    await store.close?.()

    const all = lines(run('audit', '--actor', 'bulk-importer', '--limit', '500', '--json'))
    expect(all).toHaveLength(130)
    expect(new Set(all.map((e) => e.id)).size).toBe(130)
    expect(all.map((e) => e.at)).toEqual([...all.map((e) => e.at)].sort().reverse())
    expect(all[0].actor).toEqual(actor)
    expect(lines(run('audit', '--actor', 'bulk-importer', '--json'))).toHaveLength(50)
    expect(lines(run('audit', '--owner', 'bulk', '--limit', '120', '--json'))).toHaveLength(120)
    const table = run('audit', '--owner', 'bulk', '--limit', '3')
    expect(table.stdout.trimEnd().split('\n')).toHaveLength(5)
    expect(table.stdout).toContain('203.0.113.9')
    expect(table.stderr).toMatch(/^more: keyward audit … --cursor \S+\n$/)
  })

  it('refuses bad input with exit 2 and prints no entries', () => {
    const key = run('create', '--name', 'Pasted').stdout.trim()
    for (const args of [
      ['--limit', '0'],
      ['--limit', 'ten'],
      ['--limit', '-5'],
      ['--since', 'yesterday'],
      ['--since', '5 days'],
      ['--key', 'short'],
      ['--key', key],
      ['--actor', ''],
      ['extra'],
      ['--bogus'],
    ]) {
      const refused = run('audit', ...args)
      expect(refused, args.join(' ')).toMatchObject({ code: 2, stdout: '' })
      expect(refused.stderr).toMatch(/^keyward: /)
      expectNoSecret(refused, [key])
    }
    expect(run('audit', '--key', key).stderr).toMatch(/looks like a whole key .*keyward audit --key \w{12}\./)
  })
})
