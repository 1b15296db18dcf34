/**
 * What the CLI prints never holds a pepper, a store URL's password or a key, whatever the user
 * gets wrong: a malformed config file, an unsupported store URL, a whole key where an id belongs.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KeyFormat } from '@keyward/core'
import { afterAll, describe, expect, it } from 'vitest'
import { expectNoSecret, keyward, mintKey, shown, type Run } from './run.js'

const dir = mkdtempSync(join(tmpdir(), 'keyward-redaction-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// Both literals sit on lines naming a pepper, so the suite-wide secret check also fails if either is printed.
const CONFIG_PEPPER = 'cfg-pepper-Zq8TnW3xR5vL1mK9pB7cY2dF6hJ4sG0'
const STORE_PASSWORD = 'pw/Zq8TnW3x-R5vL1mK9/pB7cY2dF6hJ4@sG0x' // as secret as a pepper
const PEPPER = 'cli-test-pepper-0123456789-0123456789'

/** `run`'s output, also handed to this process's stderr so the suite-wide secret check reads it. */
function checked(run: Run): Run {
  process.stderr.write(`[keyward exit ${run.code}] ${run.stdout}${run.stderr}`)
  return run
}

/** No run of 6 or more characters of `secret` in the output. */
function expectNoPart(run: Run, secret: string): void {
  const output = run.stdout + run.stderr
  for (let i = 0; i + 6 <= secret.length; i++) expect(output).not.toContain(secret.slice(i, i + 6))
}

describe('configuration errors do not print secrets', () => {
  it.each([
    ['an unquoted value', `{"prefix": "acme_live", "pepper": ${CONFIG_PEPPER}}`],
    ['single quotes', `{"prefix": "acme_live", "pepper": '${CONFIG_PEPPER}'}`],
    ['a trailing comma', `{\n  "prefix": "acme_live",\n  "pepper": "${CONFIG_PEPPER}",\n}`],
    ['a truncated file', `{"pepper": "${CONFIG_PEPPER}`],
  ])('a malformed keyward.config.json (%s) is named, with where it broke, never quoted', (_label, content) => {
    const path = join(dir, 'keyward.config.json')
    writeFileSync(path, content)
    const run = checked(keyward(['list'], { cwd: dir }))
    rmSync(path)
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^keyward: config file \S+keyward\.config\.json is not valid JSON( \(line \d+, column \d+\))?\n$/)
    expectNoPart(run, CONFIG_PEPPER)
  })

  it.each([
    `mysql://admin:${STORE_PASSWORD}@db.internal:3306/keys`,
    `mongodb+srv://admin:${encodeURIComponent(STORE_PASSWORD)}@cluster0.example/keys?authSource=admin`,
    `mysql:admin:${STORE_PASSWORD}`,
    `admin:${STORE_PASSWORD}@db.internal`,
  ])('an unsupported store URL shows only its scheme: %#', (url) => {
    const run = checked(keyward(['list'], { env: { KEYWARD_STORE: url, KEYWARD_PREFIX: 'acme_live' }, cwd: dir }))
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^keyward: unsupported store URL \(scheme ("[a-z+]+:"|none)\): use sqlite:/)
    expectNoPart(run, STORE_PASSWORD)
    expectNoPart(run, encodeURIComponent(STORE_PASSWORD))
  })

  it('a missing --pepper-file is exit 2, naming the file', () => {
    const run = checked(keyward(['list', '--store', 'sqlite::memory:', '--prefix', 'acme_live', '--pepper-file', 'nope.txt'], { cwd: dir }))
    expect(run).toMatchObject({ code: 2, stderr: expect.stringMatching(/^keyward: cannot read pepper file \S*nope\.txt \(ENOENT\)\n$/) })
  })
})

describe('a whole key where an id belongs is never printed', () => {
  const env = { KEYWARD_STORE: `sqlite:${join(dir, 'keys.db')}`, KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER }
  const commands = [['get'], ['update', '--name', 'x'], ['disable'], ['enable'], ['revoke'], ['delete'], ['rotate']]

  it.each(commands)('keyward %s <key> refuses, showing the key redacted and its id', (command, ...rest) => {
    const key = keyward(['create', '--name', `pasted into ${command}`], { env, cwd: dir }).stdout.trim()
    const id = key.slice('acme_live_'.length, 'acme_live_'.length + 12)
    const run = keyward([command!, key, ...rest], { env, cwd: dir })
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `keyward: that looks like a whole key (${shown(key)}); pass its id: keyward ${command} ${id}. Treat a key pasted on a command line as leaked.\n`,
    })
    expectNoSecret(run, [key])
    expect(JSON.parse(keyward(['verify', key, '--json'], { env, cwd: dir }).stdout)).toMatchObject({ ok: true, key: { status: 'active' } })
  })

  it.each(commands)('keyward %s redacts a mistyped key, another deployment’s key and a bare secret', (command, ...rest) => {
    const key = mintKey()
    const typo = key.slice(0, -1) + (key.at(-1) === 'a' ? 'b' : 'a')
    const foreign = new KeyFormat({ prefix: 'other_test' }).generate((n) => randomBytes(n)).key
    for (const given of [typo, foreign, `x${key}x`]) {
      const run = checked(keyward([command!, given, ...rest], { env, cwd: dir }))
      expect(run).toMatchObject({ code: 2, stdout: '' })
      expect(run.stderr).toMatch(/^keyward: that looks like a whole key \([a-z_]+_\w{4}…\w{4}\); pass its id: keyward \w+ \w{12}\. /)
      expectNoSecret(run, [key, foreign])
    }
    const secretOnly = checked(keyward([command!, key.slice(-38), ...rest], { env, cwd: dir }))
    expect(secretOnly).toMatchObject({
      code: 2,
      stderr: `keyward: usage: keyward ${command} <id>: an id is 12 letters and digits (got 38 characters, not shown)\n`,
    })
    expectNoSecret(secretOnly, [key])
  })
})
