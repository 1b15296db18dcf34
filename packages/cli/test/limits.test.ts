/**
 * `--rate-limit <limit>/<window>` and `--credits <n>[/<refill>/<interval>]` on create and update: the
 * key's limits as the servers enforce them, `none` to remove them, bad shapes refused before any write.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { keyward, type Run } from './run.js'

const PEPPER = 'cli-test-pepper-0123456789-0123456789'
const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-limits-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const env = { KEYWARD_STORE: `sqlite:${join(dir, 'keys.db')}`, KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER }
const run = (...args: string[]): Run => keyward(args, { env, cwd: dir })

function create(...args: string[]): { key: string; info: { id: string; rateLimit: unknown; credits: unknown } } {
  const created = run('create', '--name', 'Limited', '--json', ...args)
  expect(created).toMatchObject({ code: 0, stderr: '' })
  return JSON.parse(created.stdout)
}

describe('keyward CLI limits', () => {
  // A day-long window: a fixed window's boundary falling between the three runs (each a process
  // start) would otherwise let the third through now and then.
  it('--rate-limit 2/1d lets two verifications through in the window, then refuses', () => {
    const { key, info } = create('--rate-limit', '2/1d')
    expect(info.rateLimit).toEqual({ limit: 2, windowMs: 86_400_000 })
    expect(run('verify', key).code).toBe(0)
    expect(run('verify', key).code).toBe(0)
    expect(run('verify', key)).toMatchObject({ code: 1, stdout: expect.stringMatching(/^refused: rate_limited/) })
  })

  it('--credits 1 allows one verification; update --credits and --rate-limit change them, none removes them', () => {
    const { key, info } = create('--credits', '1', '--rate-limit', '100/1h')
    expect(info.credits).toMatchObject({ remaining: 1 })
    expect(run('verify', key).code).toBe(0)
    expect(run('verify', key)).toMatchObject({ code: 1, stdout: expect.stringMatching(/^refused: usage_exceeded/) })

    const refilled = JSON.parse(run('update', info.id, '--credits', '5/5/1d', '--json').stdout)
    expect(refilled.credits).toMatchObject({ remaining: 5, refill: { amount: 5, intervalMs: 86_400_000 } })
    expect(refilled.rateLimit).toEqual({ limit: 100, windowMs: 3_600_000 })
    expect(run('verify', key).code).toBe(0)

    const cleared = JSON.parse(run('update', info.id, '--credits', 'none', '--rate-limit', 'none', '--json').stdout)
    expect(cleared).toMatchObject({ credits: null, rateLimit: null })
  })

  it('refuses a malformed limit with exit 2 naming the flag, creating nothing', () => {
    const before = JSON.parse(run('list', '--all', '--json').stdout).items.length
    for (const [flag, value] of [
      ['--rate-limit', '100'],
      ['--rate-limit', 'lots/1m'],
      ['--rate-limit', '100/soon'],
      ['--credits', '1/2'],
      ['--credits', '1.5'],
      ['--credits', '10/10/never'],
    ])
      expect(run('create', '--name', 'Bad', flag!, value!)).toMatchObject({
        code: 2,
        stdout: '',
        stderr: expect.stringMatching(`^keyward: ${flag}: `),
      })
    expect(run('create', '--name', 'Bad', '--rate-limit', '0/1m')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^keyward: rateLimit\.limit/),
    })
    expect(JSON.parse(run('list', '--all', '--json').stdout).items.length).toBe(before)
  })
})
