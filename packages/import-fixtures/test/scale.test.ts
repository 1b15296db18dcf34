/**
 * A large import into SQLite through `keyward.importMany` (1,000 keys a call, one transaction each):
 * every batch lands, a re-run finds everything already there, sampled keys verify. The 100,000-key
 * figure (issue 17: under 30 s) is `pnpm bench:import`, in BENCHMARKS.md; this test keeps a loose
 * time bound that still fails if batching is lost (one transaction per key takes minutes).
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKeyward } from '@keyward/core'
import { SqliteKeyStore } from '@keyward/sqlite'
import { afterAll, expect, it } from 'vitest'

const dir = mkdtempSync(join(tmpdir(), 'keyward-import-scale-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('imports 20,000 SHA-256 keys into SQLite in batches, skips them on a re-run, and they verify', async () => {
  const store = new SqliteKeyStore(join(dir, 'keys.db'))
  const keyward = createKeyward({
    prefix: 'acme_live',
    store,
    pepper: randomBytes(32),
    lastUsed: false,
    legacy: { prefixes: ['sk_'] },
  })
  const keys = Array.from({ length: 20_000 }, () => `sk_${randomBytes(24).toString('base64url')}`)
  const started = performance.now()
  let imported = 0
  for (let i = 0; i < keys.length; i += 1_000) {
    const batch = keys.slice(i, i + 1_000).map((key, j) => ({
      name: `key ${i + j}`,
      ownerId: `team-${(i + j) % 100}`,
      digest: { algorithm: 'sha256-hex' as const, value: createHash('sha256').update(key).digest('hex') },
    }))
    const result = await keyward.importMany(batch)
    expect(result.failed).toEqual([])
    imported += result.imported.length
  }
  const seconds = (performance.now() - started) / 1000
  expect(imported).toBe(20_000)
  expect(seconds).toBeLessThan(60)
  const again = await keyward.importMany(
    keys.slice(0, 1_000).map((key, j) => ({
      name: `key ${j}`,
      digest: { algorithm: 'sha256-hex' as const, value: createHash('sha256').update(key).digest('hex') },
    })),
  )
  expect([again.imported.length, again.duplicates.length]).toEqual([0, 1_000])
  for (const key of [keys[0]!, keys[12_345]!, keys[19_999]!]) expect((await keyward.verify(key)).ok).toBe(true)
  expect((await keyward.verify(`sk_${randomBytes(24).toString('base64url')}`)).ok).toBe(false)
  await keyward.close()
  await store.close()
}, 120_000)
