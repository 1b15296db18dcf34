import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeBetterAuthFixture } from '../../import-fixtures/test/fixtures/better-auth.js'
import { expectNoSecret, keyward, mintKey, type Run } from './run.js'

const PEPPER = 'cli-import-pepper-0123456789-0123456789'
const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-import-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/** A key of the "other system": `sk_live_` and 32 base62 characters from the CSPRNG. */
const legacyKey = () => `sk_live_${Array.from(randomBytes(32), (b) => BASE62[b % 62]).join('')}`
const sha256 = (text: string, encoding: 'hex' | 'base64' | 'base64url') => createHash('sha256').update(text).digest(encoding)

/** No 10-character run of any of `secrets` (legacy keys, digests) is in the output. */
function expectNoneOf(run: Run, secrets: string[]): void {
  const output = run.stdout + run.stderr
  for (const secret of secrets)
    for (let i = 0; i + 10 <= secret.length; i++)
      if (output.includes(secret.slice(i, i + 10))) throw new Error('output holds a fragment of a key or digest')
}

function storeEnv(name: string): Record<string, string> {
  return { KEYWARD_STORE: `sqlite:${join(dir, `${name}.db`)}`, KEYWARD_PREFIX: 'acme_live', KEYWARD_PEPPER: PEPPER }
}

const csvCell = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value)
function writeCsv(name: string, rows: Record<string, string>[]): string {
  const columns = [
    'name',
    'key',
    'digest',
    'algorithm',
    'owner_id',
    'scopes',
    'expires_at',
    'created_at',
    'last_used_at',
    'metadata',
    'enabled',
  ]
  const lines = [columns.join(','), ...rows.map((row) => columns.map((c) => csvCell(row[c] ?? '')).join(','))]
  writeFileSync(join(dir, name), `${lines.join('\r\n')}\r\n`)
  return name
}

describe('keyward import --from csv', () => {
  const env = storeEnv('csv')
  const run = (args: string[], input?: string): Run => keyward(args, { env, cwd: dir, ...(input !== undefined && { input }) })
  const native = mintKey()
  const plainLegacy = legacyKey()
  const [hexKey, base64Key, disabledKey, expiredKey] = [legacyKey(), legacyKey(), legacyKey(), legacyKey()]
  const digests = [sha256(hexKey, 'hex'), sha256(base64Key, 'base64'), sha256(disabledKey, 'base64url'), sha256(expiredKey, 'hex')]
  const legacySecrets = [plainLegacy, hexKey, base64Key, disabledKey, expiredKey, ...digests]
  const source = writeCsv('keys.csv', [
    { name: 'Native plaintext', key: native },
    { name: 'Legacy plaintext', key: plainLegacy, owner_id: 'team-2' },
    {
      name: 'Hex digest',
      digest: digests[0]!,
      algorithm: 'sha256-hex',
      owner_id: 'team-1',
      scopes: 'contacts:read contacts:write',
      created_at: '2024-01-02T03:04:05Z',
      last_used_at: '2024-06-01T00:00:00Z',
      metadata: '{"crm":"hubspot","note":"a, b"}',
    },
    { name: 'Base64 digest', digest: digests[1]!, algorithm: 'sha256-base64' },
    { name: 'Switched off', digest: digests[2]!, algorithm: 'sha256-base64url', enabled: 'false' },
    { name: 'Long gone', digest: digests[3]!, algorithm: 'sha256-hex', expires_at: '2020-01-01' },
  ])
  const importArgs = ['import', '--from', 'csv', source, '--legacy-prefix', 'sk_live_']
  const count = () => JSON.parse(run(['list', '--all', '--json']).stdout).items.length as number
  const status = () => JSON.parse(run(['migration', 'status', '--json']).stdout)
  const check = (result: Run) => {
    expectNoSecret(result, [native])
    expectNoneOf(result, legacySecrets)
    return result
  }

  it('needs the legacy prefixes for digests, and a dry run writes nothing', () => {
    const refused = check(run(['import', '--from', 'csv', source]))
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/--legacy-prefix.*Nothing was imported/s) })
    const dry = check(run([...importArgs, '--dry-run']))
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(/Would import 5 keys of 6 rows from csv \(1 disabled, as in the source\)/)
    expect(dry.stdout).toMatch(/Skipped: 1 \(expired\)/)
    expect(dry.stdout).toMatch(/Dry run: nothing was written/)
    expect(count()).toBe(0)
  })

  it('imports plaintext keys and digests, disables what was off, skips the expired, then finds them all there', () => {
    const first = check(run([...importArgs, '--json']))
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({
      dryRun: false,
      rows: 6,
      imported: 5,
      disabled: 1,
      alreadyThere: 0,
      skipped: { expired: 1, duplicate_in_source: 0 },
      failed: [],
    })
    expect(count()).toBe(5)
    const again = check(run(importArgs))
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/Imported 0 keys of 6 rows/)
    expect(again.stdout).toMatch(/Already there: 5 keys/)
    expect(count()).toBe(5)
    const audit = run(['audit', '--json'])
      .stdout.trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(audit.filter((entry) => entry.action === 'key.imported')).toHaveLength(5)
    expect(audit.every((entry) => entry.actor?.id.startsWith('cli:'))).toBe(true)
  })

  it('verifies imported keys with keyward verify, and migration status counts the upgrade', () => {
    const before = status()
    expect(before).toMatchObject({ imported: 5, upgraded: 2, legacy: 3 })
    const verify = (key: string, ...more: string[]) => check(run(['verify', '-', '--legacy-prefix', 'sk_live_', '--json', ...more], key))
    const hex = verify(hexKey, '--scope', 'contacts:read')
    expect(hex.code).toBe(0)
    expect(JSON.parse(hex.stdout)).toMatchObject({ ok: true, key: { name: 'Hex digest', ownerId: 'team-1', metadata: { crm: 'hubspot' } } })
    expect(status()).toMatchObject({ imported: 5, upgraded: before.upgraded + 1, legacy: before.legacy - 1 })
    expect(verify(hexKey).code).toBe(0) // upgraded: verifies natively from now on
    expect(verify(base64Key).code).toBe(0)
    expect(verify(plainLegacy).code).toBe(0)
    expect(check(run(['verify', '-', '--json'], native)).code).toBe(0)
    expect(JSON.parse(verify(disabledKey).stdout)).toMatchObject({ ok: false, code: 'disabled' })
    expect(verify(expiredKey).code).toBe(1)
    expect(verify(legacyKey()).code).toBe(1)
    const text = run(['migration', 'status'])
    expect(text.stdout).toMatch(/imported\s+5\nupgraded\s+\d+\nstill legacy\s+\d+\nunused since import\s+\d+/)
  })

  it('refuses a source with a bad row, naming the row, and writes nothing', () => {
    const bad = writeCsv('bad.csv', [
      { name: 'Fine', digest: sha256(legacyKey(), 'hex'), algorithm: 'sha256-hex' },
      { name: 'Truncated', digest: digests[0]!.slice(0, 40), algorithm: 'sha256-hex' },
      { name: 'Bad scope', digest: sha256(legacyKey(), 'hex'), algorithm: 'sha256-hex', scopes: 'Not A Scope' },
      { name: '', digest: sha256(legacyKey(), 'hex'), algorithm: 'sha256-hex' },
    ])
    const result = check(run(['import', '--from', 'csv', bad, '--legacy-prefix', 'sk_live_']))
    expect(result.code).toBe(2)
    expect(result.stdout).toMatch(/Nothing imported/)
    expect(result.stdout).toMatch(/row 2: digest\.value/)
    expect(result.stdout).toMatch(/row 3: scopes/)
    expect(result.stdout).toMatch(/row 4: name/)
    expect(result.stdout).not.toMatch(/row 1:/)
    expect(count()).toBe(5)
  })
})

describe('keyward import in chunks of 1,000', () => {
  const env = storeEnv('chunks')
  const run = (args: string[]): Run => keyward(args, { env, cwd: dir, timeout: 60_000 })
  const row = (key: string, name: string) => ({ name, digest: sha256(key, 'hex'), algorithm: 'sha256-hex' })
  const keys = Array.from({ length: 2_100 }, legacyKey)
  const rows = keys.map((key, i) => row(key, `key ${i}`))
  // Repeats: within the first chunk, and across chunks (row 1,501 repeats row 2).
  rows.splice(10, 0, row(keys[5]!, 'again'))
  rows.splice(1_500, 0, row(keys[1]!, 'again'))
  const args = (source: string) => ['import', '--from', 'csv', source, '--legacy-prefix', 'sk_live_', '--json']
  const count = () => JSON.parse(run(['migration', 'status', '--json']).stdout).imported as number

  it('refuses the whole file for a bad row in a later chunk, then imports every chunk and finds them there', () => {
    const bad = rows.map((r, i) => (i === 1_800 ? { ...r, scopes: 'Not A Scope' } : r))
    const refused = JSON.parse(run(args(writeCsv('chunks-bad.csv', bad))).stdout)
    expect(refused).toMatchObject({ imported: 2_099, failed: [{ row: 1_801, message: expect.stringMatching(/^scopes/) }] })
    expect(refused.skipped.duplicate_in_source).toBe(2)
    expect(count()).toBe(0)
    const source = writeCsv('chunks.csv', rows)
    const first = JSON.parse(run(args(source)).stdout)
    expect(first).toMatchObject({ rows: 2_102, imported: 2_100, alreadyThere: 0, skipped: { duplicate_in_source: 2 }, failed: [] })
    expect(JSON.parse(run(args(source)).stdout)).toMatchObject({ imported: 0, alreadyThere: 2_100, failed: [] })
    expect(count()).toBe(2_100)
    const verify = (key: string) => keyward(['verify', '-', '--legacy-prefix', 'sk_live_', '--json'], { env, cwd: dir, input: key })
    expect(JSON.parse(verify(keys[2_099]!).stdout)).toMatchObject({ ok: true, key: { name: 'key 2099' } })
  })
})

describe('keyward import from other systems', () => {
  let betterAuth: Awaited<ReturnType<typeof makeBetterAuthFixture>>
  beforeAll(async () => {
    betterAuth = await makeBetterAuthFixture(dir, 6)
  })

  it('reads a Better Auth database made by Better Auth and its api-key plugin', () => {
    const env = storeEnv('better-auth')
    const args = ['import', '--from', 'better-auth', 'sqlite:./better-auth.db', '--legacy-prefix', 'ba_']
    const keys = [...betterAuth.plaintext.values()]
    const secrets = [...keys, ...betterAuth.rows.map((row) => row.key)]
    const status = () => JSON.parse(keyward(['migration', 'status', '--json'], { env, cwd: dir }).stdout)
    const result = keyward([...args, '--json'], { env, cwd: dir })
    expectNoneOf(result, secrets)
    expect(status()).toMatchObject({ imported: 6, upgraded: 0, legacy: 6 })
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ rows: 6, imported: 6, failed: [] })
    for (const [id, key] of betterAuth.plaintext) {
      const verified = keyward(['verify', '-', '--legacy-prefix', 'ba_', '--json'], { env, cwd: dir, input: key })
      expectNoneOf(verified, secrets)
      expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, key: { ownerId: betterAuth.userId } })
      expect(JSON.parse(verified.stdout).key.name).toBe(betterAuth.rows.find((row) => row.id === id)!.name)
    }
    // The CLI's verify upgrades a key but records no use (a check from a terminal is not a client's call).
    expect(status()).toMatchObject({ imported: 6, upgraded: 6, legacy: 0, unusedSinceImport: 6 })
  })

  it('reads an Unkey export (JSON lines, base64 and hex hashes) and prefixed-api-key rows', () => {
    const env = storeEnv('others')
    const unkeyKeys = [legacyKey(), legacyKey()]
    const unkey = [
      {
        id: 'key_1',
        hash: sha256(unkeyKeys[0]!, 'base64'),
        start: 'sk_live_ab',
        name: 'Unkey one',
        ownerId: 'acct_1',
        meta: { plan: 'pro' },
      },
      {
        id: 'key_2',
        hash: sha256(unkeyKeys[1]!, 'hex'),
        start: 'sk_live_cd',
        externalId: 'acct_2',
        remaining: 10,
        ratelimit: { limit: 5, duration: 60000 },
      },
    ]
    writeFileSync(join(dir, 'unkey.jsonl'), `${unkey.map((key) => JSON.stringify(key)).join('\n')}\n`)
    const short = Array.from(randomBytes(8), (b) => BASE62[b % 62]).join('')
    const long = Array.from(randomBytes(24), (b) => BASE62[b % 62]).join('')
    const prefixedKey = `mycompany_${short}_${long}`
    writeFileSync(join(dir, 'prefixed.csv'), `shortToken,longTokenHash,name,ownerId\n${short},${sha256(long, 'hex')},Partner,acct_3\n`)
    const secrets = [...unkeyKeys, long, ...unkey.map((key) => key.hash), sha256(long, 'hex')]
    const prefixes = ['--legacy-prefix', 'sk_live_', '--legacy-prefix', 'mycompany_']
    const fromUnkey = keyward(['import', '--from', 'unkey', 'unkey.jsonl', ...prefixes, '--json'], { env, cwd: dir })
    expect(JSON.parse(fromUnkey.stdout)).toMatchObject({ imported: 2, failed: [] })
    const fromPrefixed = keyward(['import', '--from', 'prefixed-api-key', 'prefixed.csv', ...prefixes, '--json'], { env, cwd: dir })
    expect(JSON.parse(fromPrefixed.stdout)).toMatchObject({ imported: 1, failed: [] })
    const verify = (key: string) => keyward(['verify', '-', ...prefixes, '--json'], { env, cwd: dir, input: key })
    expect(JSON.parse(verify(unkeyKeys[0]!).stdout)).toMatchObject({ ok: true, key: { name: 'Unkey one', ownerId: 'acct_1' } })
    const second = JSON.parse(verify(unkeyKeys[1]!).stdout)
    expect(second).toMatchObject({ ok: true, key: { ownerId: 'acct_2', rateLimit: { limit: 5, windowMs: 60_000 } } })
    expect(second.key.credits.remaining).toBeGreaterThanOrEqual(9)
    expect(second.key.credits.remaining).toBeLessThanOrEqual(10)
    expect(JSON.parse(verify(prefixedKey).stdout)).toMatchObject({ ok: true, key: { name: 'Partner', ownerId: 'acct_3' } })
    for (const result of [fromUnkey, fromPrefixed, verify(prefixedKey)]) expectNoneOf(result, secrets)
    // The config file's legacy.prefixes serve every command as the flags do.
    writeFileSync(join(dir, 'legacy.config.json'), JSON.stringify({ legacy: { prefixes: ['sk_live_', 'mycompany_'] } }))
    const configured = keyward(['verify', '-', '--config', 'legacy.config.json'], { env, cwd: dir, input: prefixedKey })
    expect(configured).toMatchObject({ code: 0, stdout: expect.stringMatching(/^valid: "Partner"/) })
    expect(keyward(['verify', '-'], { env, cwd: dir, input: prefixedKey }).code).toBe(1)
  })
})
