import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseIgnoreLine } from '../src/files.js'
import { keyward } from './run.js'

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
    writeFileSync(join(dir, 'src', 'image.bin'), Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(other)])) // binary

    const found = keyward(['scan', '.'], { env: { KEYWARD_PREFIX: 'acme_live' }, cwd: dir })
    expect(found.code).toBe(1)
    expect(found.stdout.trim().split('\n')).toEqual([`src/config.ts:3:12: acme_live_${key.slice(10, 14)}…${key.slice(-4)}`])
    expect(found.stdout + found.stderr).not.toContain(key)
    expect(found.stderr).toMatch(/Found 1 key in \d+ files \(1 skipped\)/)

    const json = JSON.parse(keyward(['scan', 'src', '--json'], { env: { KEYWARD_PREFIX: 'acme_live' }, cwd: dir }).stdout)
    expect(json.findings).toEqual([{ file: 'src/config.ts', line: 3, column: 12, redacted: expect.stringContaining('…') }])

    const revoked = keyward(['scan', '--revoke'], { env, cwd: dir })
    expect(revoked.code).toBe(1)
    expect(revoked.stderr).toMatch(/Revoked 1\./)
    expect(keyward(['verify', key], { env, cwd: dir }).stdout).toMatch(/revoked/)
    expect(keyward(['verify', other], { env, cwd: dir }).code).toBe(0)

    writeFileSync(join(dir, 'src', 'config.ts'), 'export const config = { apiKey: process.env.ACME_KEY }\n')
    expect(keyward(['scan'], { env: { KEYWARD_PREFIX: 'acme_live' }, cwd: dir })).toMatchObject({ code: 0, stderr: expect.stringMatching(/No keys found/) })
  })
})

describe('.gitignore rules', () => {
  it.each([
    ['build/', 'build', true, true],
    ['build/', 'build', false, false],
    ['*.db', 'data/keys.db', false, true],
    ['/root.txt', 'root.txt', false, true],
    ['/root.txt', 'sub/root.txt', false, false],
    ['docs/**/*.md', 'docs/a/b/c.md', false, true],
    ['**/secret', 'x/y/secret', false, true],
    ['a?c', 'abc', false, true],
    ['# comment', 'comment', false, false],
  ])('%j on %j (dir: %s) → %s', (line, path, isDir, expected) => {
    const rule = parseIgnoreLine(line)
    const matches = rule !== null && (!rule.dirOnly || isDir) && rule.regex.test(path)
    expect(matches).toBe(expected)
  })

  it('supports negation', () => {
    expect(parseIgnoreLine('!keep.env')).toMatchObject({ negate: true })
  })
})
