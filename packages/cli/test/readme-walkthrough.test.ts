import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeBetterAuthFixture } from '../../import-fixtures/test/fixtures/better-auth.js'
import { CLI } from './run.js'

/**
 * The root README's "Coming from Better Auth / Unkey / your own table" walkthrough, run as written:
 * every block marked `<!-- walkthrough: <name> -->` is found, files (`file <name>`) are written to a
 * temp dir, and each command runs there in bash with `keyward` on PATH being the CLI under test;
 * the `# ` lines under a command are output it must print. A Better Auth database made by Better
 * Auth itself is `auth.db`, and a small Unkey export is `unkey-keys.json`.
 */
const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
const PEPPER = 'readme-walkthrough-pepper-0123456789-0123456789'
const BLOCK = /<!-- walkthrough: (file )?(\S+) -->\s*```\w*\n([\s\S]*?)```/g

const blocks = new Map<string, { file: boolean; body: string }>()
for (const [, file, name, body] of README.matchAll(BLOCK)) blocks.set(name!, { file: file !== undefined, body: body! })

interface Step {
  command: string
  expected: string[]
}

/** The commands of a block, each with the `# ` lines under it. */
function steps(body: string): Step[] {
  const out: Step[] = []
  for (const line of body.split('\n').map((l) => l.trim())) {
    if (line === '') continue
    if (line.startsWith('# ')) {
      if (out.length === 0) throw new Error(`output line before any command: ${line}`)
      out.at(-1)!.expected.push(line.slice(2))
    } else out.push({ command: line, expected: [] })
  }
  return out
}

const squeeze = (text: string) => text.replace(/[ \t]+/g, ' ')
const dir = mkdtempSync(join(tmpdir(), 'keyward-readme-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('README: coming from Better Auth / Unkey / your own table', () => {
  const secrets: string[] = []
  let customerKey = ''

  beforeAll(async () => {
    const made = join(dir, 'better-auth')
    mkdirSync(made)
    const betterAuth = await makeBetterAuthFixture(made, 3)
    renameSync(join(made, 'better-auth.db'), join(dir, 'auth.db'))
    const first = betterAuth.rows.find((row) => row.name === 'key 0')!
    customerKey = betterAuth.plaintext.get(first.id)!
    secrets.push(...betterAuth.plaintext.values(), ...betterAuth.rows.map((row) => row.key))
    const unkeyKeys = [0, 1].map(() => `uk_${randomBytes(24).toString('base64url')}`)
    const unkey = unkeyKeys.map((key, i) => ({
      id: `key_${i}`,
      hash: createHash('sha256').update(key).digest('base64'),
      start: key.slice(0, 6),
      name: `Unkey ${i}`,
      externalId: `acct_${i}`,
    }))
    writeFileSync(join(dir, 'unkey-keys.json'), JSON.stringify(unkey))
    secrets.push(...unkeyKeys, ...unkey.map((key) => key.hash))
    mkdirSync(join(dir, 'bin'))
    writeFileSync(join(dir, 'bin', 'keyward'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`)
    chmodSync(join(dir, 'bin', 'keyward'), 0o755)
  })

  it('has every marked block, in order', () => {
    expect([...blocks.keys()]).toEqual(['keyward.config.json', 'better-auth', 'unkey', 'keys.csv', 'csv', 'first-use'])
    for (const [name, { file, body }] of blocks) {
      expect(file).toBe(name.includes('.'))
      if (!file) expect(steps(body).every((step) => /^(keyward |printf .*\| keyward )/.test(step.command))).toBe(true)
    }
  })

  it('runs each command as the README shows it, with the output it shows', () => {
    for (const [name, { file, body }] of blocks) {
      if (file) {
        writeFileSync(join(dir, name), body)
        continue
      }
      for (const { command, expected } of steps(body)) {
        const result = spawnSync('bash', ['-c', command], {
          cwd: dir,
          encoding: 'utf8',
          timeout: 60_000,
          env: {
            PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
            HOME: process.env.HOME ?? '/tmp',
            NODE_OPTIONS: process.env.NODE_OPTIONS ?? '',
            KEYWARD_PEPPER: PEPPER,
            CUSTOMER_KEY: customerKey,
          },
        })
        const where = `${name}: ${command}\n${result.stdout}${result.stderr}`
        expect(result.status, where).toBe(0)
        for (const line of expected) expect(squeeze(result.stdout), where).toContain(squeeze(line))
        const output = result.stdout + result.stderr
        expect(
          secrets.some((secret) => output.includes(secret.slice(-16))),
          `${name}: output holds a key or digest`,
        ).toBe(false)
      }
    }
  })
})
