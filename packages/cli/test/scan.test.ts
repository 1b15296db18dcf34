import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { confirm } from '../src/scan-command.js'
import { CLI, keyward, type Run } from './run.js'

const PEPPER = 'cli-test-pepper-0123456789-0123456789'
const root = mkdtempSync(join(tmpdir(), 'keyward-scan-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function project(name: string, git: boolean) {
  const dir = join(root, name)
  mkdirSync(join(dir, 'src'), { recursive: true })
  mkdirSync(join(dir, 'build'), { recursive: true })
  if (git) execFileSync('git', ['init', '-q', dir])
  return dir
}

function typo(key: string): string {
  const i = key.length - 10
  return key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1)
}

describe.each([
  ['a git work tree', true],
  ['a plain folder', false],
])('keyward scan in %s', (_label, git) => {
  it('finds real keys only, respects .gitignore, skips binaries, and can revoke', () => {
    const dir = project(git ? 'git' : 'plain', git)
    const env = { KEYWARD_STORE: `sqlite:${join(dir, 'keys.db')}`, KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER }
    const key = keyward(['create', '--name', 'Leaky'], { env, cwd: dir }).stdout.trim()
    const other = keyward(['create', '--name', 'Safe'], { env, cwd: dir }).stdout.trim()
    writeFileSync(join(dir, '.gitignore'), 'build/\n*.db*\n')
    writeFileSync(join(dir, 'src', 'config.ts'), `export const config = {\n  region: 'eu',\n  apiKey: "${key}",\n}\n`)
    writeFileSync(join(dir, 'src', 'notes.md'), `typo ${typo(other)} and a foreign acme_test_${key.slice(10)}\n`)
    writeFileSync(join(dir, 'build', 'bundle.js'), `const k = "${other}"\n`) // ignored
    writeFileSync(
      join(dir, 'src', 'image.bin'),
      Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0'), Buffer.from(other)]),
    ) // binary

    const found = keyward(['scan', '.'], { env: { KEYWARD_PREFIX: 'acme_live' }, cwd: dir })
    expect(found.code).toBe(1)
    expect(found.stdout.trim().split('\n')).toEqual([`src/config.ts:3:12: acme_live_${key.slice(10, 14)}…${key.slice(-4)}`])
    expect(found.stdout + found.stderr).not.toContain(key)
    expect(found.stderr).toMatch(/Found 1 key in \d+ files \(1 skipped: 1 binary\)/)

    const json = JSON.parse(keyward(['scan', 'src', '--json'], { env: { KEYWARD_PREFIX: 'acme_live' }, cwd: dir }).stdout)
    expect(json.findings).toEqual([{ file: 'src/config.ts', line: 3, column: 12, redacted: expect.stringContaining('…') }])

    const revoked = keyward(['scan', '--revoke', '--yes'], { env, cwd: dir })
    expect(revoked.code).toBe(1)
    expect(revoked.stderr).toMatch(/Revoked 1\./)
    expect(keyward(['verify', key], { env, cwd: dir }).stdout).toMatch(/revoked/)
    expect(keyward(['verify', other], { env, cwd: dir }).code).toBe(0)
    // The audit log: created, reported as leaked and revoked (the last two in one millisecond, in either order), all by the CLI as the OS user.
    const audit = keyward(['audit', '--key', key.split('_')[2]!, '--json'], { env, cwd: dir })
    const entries = audit.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    const actor = { id: `cli:${userInfo().username}` }
    expect(entries.map(({ action, actor }) => ({ action, actor })).sort((a, b) => a.action.localeCompare(b.action))).toEqual([
      { action: 'key.created', actor },
      { action: 'key.leaked', actor },
      { action: 'key.revoked', actor },
    ])

    writeFileSync(join(dir, 'src', 'config.ts'), 'export const config = { apiKey: process.env.ACME_KEY }\n')
    expect(keyward(['scan'], { env: { KEYWARD_PREFIX: 'acme_live' }, cwd: dir })).toMatchObject({
      code: 0,
      stderr: expect.stringMatching(/No keys found/),
    })
  })
})

describe('keyward scan exit codes and --revoke confirmation', () => {
  const hasScript = spawnSync('script', ['--version']).status === 0

  function leakyProject(name: string) {
    const dir = project(name, false)
    const env = { KEYWARD_STORE: `sqlite:${join(dir, 'keys.db')}`, KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER }
    const key = keyward(['create', '--name', 'Leaky'], { env, cwd: dir }).stdout.trim()
    writeFileSync(join(dir, '.gitignore'), '*.db*\n')
    writeFileSync(join(dir, 'src', 'config.ts'), `export const apiKey = "${key}"\n`)
    const status = () => JSON.parse(keyward(['verify', key, '--json'], { env, cwd: dir }).stdout).ok as boolean
    return { dir, env, status }
  }

  /** `keyward …` with a terminal as stdin (util-linux `script`), typing `typed`. */
  function onTerminal(args: string[], options: { env: Record<string, string>; cwd: string; typed: string }): Run {
    const command = [process.execPath, CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
    const result = spawnSync('script', ['-qec', command, '/dev/null'], {
      encoding: 'utf8',
      cwd: options.cwd,
      input: options.typed,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', NODE_OPTIONS: process.env.NODE_OPTIONS ?? '', ...options.env },
      timeout: 20_000,
    })
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr }
  }

  it('bad input is exit 2 with one line on stderr, never a stack trace or exit 1', () => {
    for (const args of [
      ['scan', '/nonexistent'],
      ['scan', '.', 'missing/file.ts'],
      ['scan', '--max-file-bytes', '0'],
    ]) {
      const run = keyward(args, { env: { KEYWARD_PREFIX: 'acme_live' }, cwd: root })
      expect(run).toMatchObject({ code: 2, stdout: '' })
      expect(run.stderr).toMatch(/^keyward: [^\n]+\n$/)
    }
    expect(keyward(['scan', '/nonexistent'], { env: { KEYWARD_PREFIX: 'acme_live' } }).stderr).toBe(
      'keyward: cannot scan "/nonexistent": no such file or folder\n',
    )
  })

  it('--revoke refuses without a terminal unless --yes, and revokes nothing', () => {
    const { dir, env, status } = leakyProject('no-tty')
    const refused = keyward(['scan', '--revoke'], { env, cwd: dir })
    expect(refused).toMatchObject({ code: 2, stdout: '' })
    expect(refused.stderr).toMatch(
      /^keyward: scan --revoke asks before revoking, but standard input is not a terminal: pass --yes[^\n]*\n$/,
    )
    expect(status()).toBe(true)
    expect(keyward(['scan', '--revoke', '-y'], { env, cwd: dir })).toMatchObject({ code: 1, stderr: expect.stringMatching(/Revoked 1\./) })
    expect(status()).toBe(false)
  })

  it.skipIf(!hasScript)('--revoke on a terminal lists the keys and revokes only after "y"', () => {
    const { dir, env, status } = leakyProject('tty')
    const declined = onTerminal(['scan', '--revoke'], { env, cwd: dir, typed: 'n\n' })
    expect(declined.code).toBe(1)
    expect(declined.stdout).toMatch(/"Leaky" \(active\)[\s\S]*Revoke this key\? This cannot be undone\. \[y\/N\][\s\S]*Nothing revoked\./)
    expect(status()).toBe(true)
    const accepted = onTerminal(['scan', '--revoke'], { env, cwd: dir, typed: 'y\n' })
    expect(accepted.code).toBe(1)
    expect(accepted.stdout).toMatch(/Revoked 1\./)
    expect(status()).toBe(false)
  })

  it('confirm() accepts only y or yes', async () => {
    for (const [answer, expected] of [
      ['y', true],
      ['YES', true],
      [' yes ', true],
      ['', false],
      ['n', false],
      ['yep', false],
    ] as const)
      expect(await confirm({ ask: async () => answer }, 'Revoke?')).toBe(expected)
  })
})
