import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { afterAll, expect, it } from 'vitest'
import { bundle } from '../src/index.js'

// What a Worker ships for Keyward's verify path: esbuild, minified, gzipped (level 9).
const dir = mkdtempSync(join(tmpdir(), 'keyward-bundle-size-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function bundled(entry: string): Promise<{ code: string; minified: number; gzipped: number }> {
  const out = join(dir, `${Math.random().toString(36).slice(2)}.mjs`)
  await bundle(entry, out, { minify: true })
  const code = readFileSync(out)
  return { code: code.toString('utf8'), minified: code.length, gzipped: gzipSync(code, { level: 9 }).length }
}

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

/**
 * Budgets in bytes gzipped. Core's verify path was under 20 KiB until usage, the audit log and
 * notifications (issue 15) became methods of every instance: about 4.8 KiB more, which a bundler
 * cannot drop from the object `createKeyward` returns. Access rules (issue 16: the IP parser and
 * matcher, owners, named limits, roles and their validation, all on the verify path) added about
 * 5.7 KiB more (24.7 → 30.4 KiB). Keys imported from other systems (issue 17) added 13 KiB more
 * (42.7 KiB), most of it argon2id, scrypt, PBKDF2 and SHA-512 for keys imported as salted slow
 * hashes; those are now an entry the application passes in (`@keyward/core/slow-hashes`), which
 * brought the verify path back to 33.2 KiB (importing, the legacy lookup ids and the import
 * validation stay: `import` is a method of every instance). The Worker example adds D1KeyStore and
 * its SQL (41.4 KiB measured).
 */
const CORE_BUDGET = 35 * 1024
const WORKER_BUDGET = 43 * 1024

it('core alone (createKeyward + withApiKey, a store of the app) stays within 35 KiB gzipped', async () => {
  const size = await bundled(fixture('core-worker.ts'))
  console.info(`core verify path for a Worker: ${size.minified} B minified, ${size.gzipped} B gzipped`)
  expect(size.gzipped).toBeLessThan(CORE_BUDGET)
})

it('the Worker example (core + withApiKey + D1KeyStore) stays within 43 KiB gzipped', async () => {
  const size = await bundled(fileURLToPath(new URL('../../../examples/worker/src/worker.ts', import.meta.url)))
  console.info(`examples/worker with D1: ${size.minified} B minified, ${size.gzipped} B gzipped`)
  expect(size.gzipped).toBeLessThan(WORKER_BUDGET)
})

/** Error messages of @noble/hashes' argon2id, scrypt and PBKDF2: in a bundle exactly when that code is. */
const SLOW_HASH_MARKERS = [
  '"m" (memory) must be at least 8*p bytes',
  '"maxmem" limit was hit: memUsed(128*r*(N+p+1))',
  '"c" (iterations) must be >= 1',
]

it('ships argon2id, scrypt and PBKDF2 only to a Worker that passes @keyward/core/slow-hashes', async () => {
  const plain = await bundled(fixture('core-worker.ts'))
  const withSlowHashes = await bundled(fixture('core-worker-slow-hashes.ts'))
  console.info(
    `core verify path with @keyward/core/slow-hashes: ${withSlowHashes.minified} B minified, ${withSlowHashes.gzipped} B gzipped`,
  )
  for (const marker of SLOW_HASH_MARKERS) {
    expect(plain.code.includes(marker), marker).toBe(false)
    expect(withSlowHashes.code.includes(marker), marker).toBe(true)
  }
})
