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

async function gzippedSize(entry: string): Promise<{ minified: number; gzipped: number }> {
  const out = join(dir, `${Math.random().toString(36).slice(2)}.mjs`)
  await bundle(entry, out, { minify: true })
  const code = readFileSync(out)
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length }
}

/**
 * Budgets in bytes gzipped. Core's verify path: DESIGN.md's goal for a Worker, under 20 kB (20 KiB).
 * The Worker example adds D1KeyStore and its SQL; it gets its own budget, 25 KiB.
 */
const CORE_BUDGET = 20 * 1024
const WORKER_BUDGET = 25 * 1024

it('core alone (createKeyward + withApiKey, a store of the app) stays within 20 KiB gzipped', async () => {
  const size = await gzippedSize(fileURLToPath(new URL('./fixtures/core-worker.ts', import.meta.url)))
  console.info(`core verify path for a Worker: ${size.minified} B minified, ${size.gzipped} B gzipped`)
  expect(size.gzipped).toBeLessThan(CORE_BUDGET)
})

it('the Worker example (core + withApiKey + D1KeyStore) stays within 25 KiB gzipped', async () => {
  const size = await gzippedSize(fileURLToPath(new URL('../../../examples/worker/src/worker.ts', import.meta.url)))
  console.info(`examples/worker with D1: ${size.minified} B minified, ${size.gzipped} B gzipped`)
  expect(size.gzipped).toBeLessThan(WORKER_BUDGET)
})
