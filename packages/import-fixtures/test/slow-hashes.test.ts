import { slowHashes } from '@keyward/core/slow-hashes'
import bcrypt from 'bcryptjs'
import { argon2Verify } from 'hash-wasm'
import { describe, expect, it } from 'vitest'
import { expectImportedKeysVerifyAndUpgrade, type ImportedKey, wrongKeyLike } from './check.js'
import { homeGrownKey } from './fixtures/home-grown.js'
import { lookupIdOf, makeArgon2idTable, makeBcryptTable, type SlowHashRow } from './fixtures/slow-hashes.js'
import { deployment, tempDir } from './harness.js'

const dir = tempDir()
const tables: [string, 'bcrypt' | 'argon2id', SlowHashRow[], (row: SlowHashRow) => Promise<boolean>][] = [
  ['bcryptjs', 'bcrypt', makeBcryptTable(6), (row) => bcrypt.compare(row.key, row.hash)],
  ['hash-wasm', 'argon2id', await makeArgon2idTable(6), (row) => argon2Verify({ password: row.key, hash: row.hash })],
]

describe.each(tables)('a home-grown table of %s %s hashes', (_library, algorithm, rows, check) => {
  it('is made by that library (each hash checks against its key there, and not against another)', async () => {
    for (const row of rows) {
      expect(row.hash.startsWith(algorithm === 'bcrypt' ? '$2b$04$' : '$argon2id$v=19$m=1024,t=2,p=1$')).toBe(true)
      expect(await check(row)).toBe(true)
      expect(await check({ ...row, key: wrongKeyLike(row.key) })).toBe(false)
    }
  })

  it('imports every row by its lookup id; each key verifies over HTTP and is upgraded on first use', async () => {
    const target = deployment(dir, {
      prefixes: ['sk_'],
      lookupId: lookupIdOf,
      bcrypt: (key, hash) => bcrypt.compare(key, hash),
      slowHashes,
    })
    const served = await target.open()
    const keys: ImportedKey[] = []
    for (const [i, row] of rows.entries()) {
      const { info } = await served.keyward.import({
        name: `${algorithm} ${i}`,
        digest: { algorithm, value: row.hash, lookupId: row.lookupId },
      })
      expect(info).toMatchObject({ legacyDigest: true })
      keys.push({ id: info.id, key: row.key })
    }
    // Same lookup id, another secret: the record is found and the slow hash says no.
    const sameLookupId = `sk_${rows[0]!.lookupId}${homeGrownKey('').slice(8)}`
    await expectImportedKeysVerifyAndUpgrade(target, served, keys, [wrongKeyLike(rows[1]!.key), sameLookupId])
  })
})
