/**
 * `keyward import` reads an export a row at a time, twice (check pass, write pass), instead of
 * holding it: a 100,000-row export imports in a CLI process whose V8 heap is capped at 64 MB. Reading
 * the file whole did not fit (measured: the CSV aborted out of heap even at 256 MB, the JSON at 64 MB),
 * while the streaming reader needs under 32 MB. Most rows are expired, so the check pass reads every
 * row but only one in a hundred is imported: this keeps the test to seconds, not the minute a
 * 100,000-key write takes.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { keyward } from './run.js'

const ROWS = 100_000
/** One row in this many is live; the others expired in 2020. */
const LIVE_EVERY = 100
const HEAP_MB = 64

const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-import-memory-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const digest = (encoding: 'hex' | 'base64') => createHash('sha256').update(randomBytes(32)).digest(encoding)
const metadata = (i: number) => ({
  crm: 'hubspot',
  account: `acct_${i}`,
  plan: 'enterprise',
  note: 'imported from the legacy billing system',
})

/** `keyward import` of `file` in a process with a capped heap; resolves to its JSON summary. */
function importCapped(from: string, file: string) {
  const env = {
    KEYWARD_STORE: `sqlite:${join(dir, `${from}.db`)}`,
    KEYWARD_PREFIX: 'acme_live',
    KEYWARD_PEPPER: 'cli-import-memory-pepper-0123456789',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${HEAP_MB}`,
  }
  const run = keyward(['import', '--from', from, file, '--legacy-prefix', 'sk_live_', '--json'], { env, cwd: dir, timeout: 120_000 })
  // Out of heap, V8 aborts the process: no exit code, a fatal error on stderr.
  expect(run.stderr).not.toMatch(/heap out of memory/i)
  expect(run.code).toBe(0)
  return JSON.parse(run.stdout)
}

const expected = {
  rows: ROWS,
  imported: ROWS / LIVE_EVERY,
  skipped: { expired: ROWS - ROWS / LIVE_EVERY, duplicate_in_source: 0 },
  failed: [],
}

it(`imports a ${ROWS}-row CSV with the heap capped at ${HEAP_MB} MB`, () => {
  const lines = ['name,digest,algorithm,expires_at,metadata']
  for (let i = 0; i < ROWS; i++)
    lines.push(
      `key ${i},${digest('hex')},sha256-hex,${i % LIVE_EVERY === 0 ? '' : '2020-01-01'},"${JSON.stringify(metadata(i)).replace(/"/g, '""')}"`,
    )
  writeFileSync(join(dir, 'keys.csv'), `${lines.join('\n')}\n`)
  expect(importCapped('csv', 'keys.csv')).toMatchObject(expected)
}, 120_000)

it(`imports a ${ROWS}-key Unkey export ({ "keys": [...] }, one JSON text) with the heap capped at ${HEAP_MB} MB`, () => {
  const keys: string[] = []
  for (let i = 0; i < ROWS; i++)
    keys.push(
      JSON.stringify({
        id: `key_${i}`,
        hash: digest('base64'),
        start: 'sk_live_ab',
        name: `key ${i}`,
        ownerId: `acct_${i % 100}`,
        meta: metadata(i),
        ...(i % LIVE_EVERY !== 0 && { expires: Date.UTC(2020, 0, 1) }),
      }),
    )
  writeFileSync(join(dir, 'unkey.json'), `{ "keys": [\n${keys.join(',\n')}\n], "total": ${ROWS} }\n`)
  expect(importCapped('unkey', 'unkey.json')).toMatchObject(expected)
}, 120_000)
