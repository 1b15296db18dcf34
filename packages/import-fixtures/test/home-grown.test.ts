import { describe, expect, it } from 'vitest'
import { expectImportedKeysVerifyAndUpgrade, expectPlaintextKeysVerify, type ImportedKey, wrongKeyLike } from './check.js'
import { homeGrownKey, makeHomeGrownTable } from './fixtures/home-grown.js'
import { deployment, tempDir } from './harness.js'

const dir = tempDir()

describe.each(['hex', 'base64'] as const)('a home-grown table of whole-key SHA-256 in %s', (encoding) => {
  const table = makeHomeGrownTable(dir, encoding, 20)

  it('imports every row; each key verifies over HTTP and is upgraded on first use', async () => {
    const target = deployment(dir, { prefixes: ['sk_live_'] })
    const served = await target.open()
    const keys: ImportedKey[] = []
    for (const row of table.rows) {
      const { info } = await served.keyward.import({
        name: `row ${row.id}`,
        ownerId: row.customer_id,
        createdAt: row.created_at,
        digest: { algorithm: `sha256-${encoding}`, value: row.key_hash },
      })
      expect(info).toMatchObject({ ownerId: row.customer_id, createdAt: new Date(row.created_at), legacyDigest: true })
      keys.push({ id: info.id, key: table.plaintext.get(row.id)! })
    }
    await expectImportedKeysVerifyAndUpgrade(target, served, keys, [wrongKeyLike(keys[0]!.key), homeGrownKey('sk_live_')])
  })
})

describe('plaintext keys of another system', () => {
  it('import digested under the pepper at once; each verifies over HTTP', async () => {
    const target = deployment(dir, { prefixes: ['sk_live_', 'pk_'] })
    const served = await target.open()
    const keys: ImportedKey[] = []
    for (let i = 0; i < 20; i++) {
      const key = homeGrownKey(i % 2 === 0 ? 'sk_live_' : 'pk_')
      const { info } = await served.keyward.import({ name: `plain ${i}`, key })
      expect(info).toMatchObject({ hint: key.slice(-4), legacyDigest: false })
      keys.push({ id: info.id, key })
    }
    await expectPlaintextKeysVerify(target, served, keys, [wrongKeyLike(keys[0]!.key), homeGrownKey('pk_')])
  })
})
