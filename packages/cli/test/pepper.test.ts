/**
 * Pepper safety in the CLI: `keyward pepper generate` prints a fresh pepper alone on stdout with
 * how to keep it on stderr; without a pepper, the CLI refuses to mint a key (create, rotate) in a
 * store whose keys are peppered, since the servers would refuse it, and says why a key is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { keyward, KEY_RE, type Run } from './run.js'

const PEPPER = 'cli-test-pepper-0123456789-0123456789'
const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-pepper-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const REFUSAL =
  "keyward: this store's keys are peppered; pass --pepper-file or KEYWARD_PEPPER (the pepper your servers use). Nothing was changed.\n"

function store(name: string): { peppered: (...args: string[]) => Run; bare: (...args: string[]) => Run } {
  const base = { KEYWARD_STORE: `sqlite:${join(dir, `${name}.db`)}`, KEYWARD_PREFIX: 'acme_live' }
  return {
    peppered: (...args) => keyward(args, { env: { ...base, KEYWARD_PEPPER: PEPPER }, cwd: dir }),
    bare: (...args) => keyward(args, { env: base, cwd: dir }),
  }
}

const count = (run: Run): number => JSON.parse(run.stdout).items.length

describe('keyward pepper generate', () => {
  it('prints 32 fresh random bytes, base64url, alone on stdout, and how to keep them on stderr', () => {
    const first = keyward(['pepper', 'generate'])
    const second = keyward(['pepper', 'generate'])
    for (const run of [first, second]) {
      expect(run.code).toBe(0)
      expect(run.stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/)
      expect(Buffer.from(run.stdout.trim(), 'base64url')).toHaveLength(32)
      expect(run.stderr).toMatch(/secret manager/)
      expect(run.stderr).toMatch(/KEYWARD_PEPPER/)
      expect(run.stderr).toMatch(/--pepper-file/)
      expect(run.stderr).toContain("peppers: { current: 'p2', secrets: { default: OLD, p2: NEW } }")
    }
    expect(first.stdout).not.toBe(second.stdout)
  })

  it('needs no store, prefix or config, and refuses anything but generate', () => {
    expect(keyward(['pepper', 'generate'], { env: { KEYWARD_CONFIG: '/nonexistent.json' } }).code).toBe(0)
    expect(keyward(['pepper'])).toMatchObject({ code: 2, stdout: '', stderr: 'keyward: usage: keyward pepper generate\n' })
    expect(keyward(['pepper', 'rotate']).code).toBe(2)
  })
})

describe('keyward CLI without a pepper', () => {
  it('refuses to create or rotate a key in a store whose keys are peppered, writing nothing', () => {
    const { peppered, bare } = store('peppered')
    const made = JSON.parse(peppered('create', '--name', 'Server-made', '--json').stdout) as { key: string; info: { id: string } }
    const before = count(peppered('list', '--all', '--json'))

    expect(bare('create', '--name', 'Unpeppered')).toEqual({ code: 2, stdout: '', stderr: REFUSAL })
    expect(bare('rotate', made.info.id, '--grace', '1h')).toEqual({ code: 2, stdout: '', stderr: REFUSAL })
    expect(count(peppered('list', '--all', '--json'))).toBe(before)
    expect(peppered('verify', made.key).code).toBe(0) // not rotated

    // With the pepper, the same commands work.
    expect(peppered('create', '--name', 'Peppered').stdout.trim()).toMatch(KEY_RE)
    expect(peppered('rotate', made.info.id).stdout.trim()).toMatch(KEY_RE)
  })

  it('verify says that the missing pepper is why a key of a peppered store is refused', () => {
    const { peppered } = store('verify')
    const key = peppered('create', '--name', 'Server-made').stdout.trim()
    const refused = keyward(['verify', '-'], {
      env: { KEYWARD_STORE: `sqlite:${join(dir, 'verify.db')}`, KEYWARD_PREFIX: 'acme_live' },
      input: key,
    })
    expect(refused).toMatchObject({ code: 1, stdout: expect.stringMatching(/^refused: invalid/) })
    expect(refused.stderr).toBe("keyward: this store's keys are peppered; pass --pepper-file or KEYWARD_PEPPER\n")
  })

  it('creates in a store of unpeppered keys, warning that the key is plain SHA-256', () => {
    const { bare } = store('plain')
    const created = bare('create', '--name', 'Plain')
    expect(created.code).toBe(0)
    expect(created.stdout.trim()).toMatch(KEY_RE)
    expect(created.stderr).toMatch(/warning: no pepper, so this key is stored as plain SHA-256.*keyward pepper generate/)
    expect(bare('verify', created.stdout.trim()).code).toBe(0)
  })
})
