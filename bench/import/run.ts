/**
 * `pnpm bench:import`: issue 17's figure — 100,000 keys stored elsewhere as whole-key SHA-256 (hex)
 * imported into a SQLite file through `keyward.importMany` (1,000 keys a call, one transaction each),
 * against the store's own `insertMany` of the same number of ready-made records in the same run.
 * Usage: pnpm bench:import [-- --keys 100000]
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKeyward } from '@keyward/core'
import { SqliteKeyStore } from '@keyward/sqlite'
import { parseArgs } from '../lib/args.js'

const args = parseArgs()
const KEYS = Number(args.get('keys') ?? 100_000)
const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-import-'))
try {
  const store = new SqliteKeyStore(join(dir, 'keys.db'))
  const keyward = createKeyward({ prefix: 'acme_live', store, pepper: randomBytes(32), lastUsed: false, legacy: { prefixes: ['sk_'] } })
  const keys = Array.from({ length: KEYS }, () => `sk_${randomBytes(24).toString('base64url')}`)
  const started = performance.now()
  for (let i = 0; i < keys.length; i += 1_000) {
    const batch = keys.slice(i, i + 1_000).map((key, j) => ({
      name: `key ${i + j}`,
      ownerId: `team-${(i + j) % 100}`,
      digest: { algorithm: 'sha256-hex' as const, value: createHash('sha256').update(key).digest('hex') },
    }))
    const { failed } = await keyward.importMany(batch)
    if (failed.length > 0) throw new Error(`row ${i + failed[0]!.index} refused: ${failed[0]!.error.message}`)
  }
  const seconds = (performance.now() - started) / 1000
  for (const key of [keys[0]!, keys[keys.length - 1]!])
    if (!(await keyward.verify(key)).ok) throw new Error('an imported key did not verify')
  await keyward.close()
  await store.close()
  console.log(
    `Node ${process.version}: ${KEYS.toLocaleString('en')} SHA-256 keys imported into SQLite (WAL file) with keyward.importMany in ${seconds.toFixed(1)} s`,
  )
  console.log(`(${Math.round(KEYS / seconds).toLocaleString('en')} keys/s; target: 100,000 in under 30 s)`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
