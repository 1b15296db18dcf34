import { checkAPIKey, generateAPIKey } from 'prefixed-api-key'
import { describe, expect, it } from 'vitest'
import { expectImportedKeysVerifyAndUpgrade, type ImportedKey, wrongKeyLike } from './check.js'
import { deployment, tempDir } from './harness.js'

const dir = tempDir()

/** What prefixed-api-key's own `generateAPIKey` returns and what a user of it stores: short token and long-token hash. */
const made = await Promise.all(
  Array.from({ length: 20 }, async () => {
    const generated = await generateAPIKey({ keyPrefix: 'mycompany' })
    if (generated.token === undefined) throw new Error('prefixed-api-key made no key')
    return generated
  }),
)

describe('keys made by prefixed-api-key', () => {
  it('are <prefix>_<shortToken>_<longToken>, stored as the short token and a SHA-256 (hex) of the long token', () => {
    for (const { token, shortToken, longToken, longTokenHash } of made) {
      expect(token).toBe(`mycompany_${shortToken}_${longToken}`)
      expect(longTokenHash).toMatch(/^[0-9a-f]{64}$/)
      expect(checkAPIKey(token, longTokenHash)).toBe(true)
    }
  })

  it('import by short token and long-token hash; each verifies over HTTP and is upgraded on first use', async () => {
    const target = deployment(dir, { prefixes: ['mycompany'] })
    const served = await target.open()
    const keys: ImportedKey[] = []
    for (const [i, { token, shortToken, longTokenHash }] of made.entries()) {
      const { info } = await served.keyward.import({
        name: `customer ${i}`,
        ownerId: `cus_${i % 4}`,
        scopes: ['invoices:read'],
        digest: { algorithm: 'prefixed-api-key', value: longTokenHash, lookupId: shortToken },
      })
      expect(info).toMatchObject({ name: `customer ${i}`, ownerId: `cus_${i % 4}`, legacyDigest: true })
      keys.push({ id: info.id, key: token })
    }
    // Same short token, another long token: the record is found, the digest does not match.
    const { shortToken } = made[0]!
    const other = (await generateAPIKey({ keyPrefix: 'mycompany' })).longToken!
    await expectImportedKeysVerifyAndUpgrade(target, served, keys, [wrongKeyLike(made[1]!.token), `mycompany_${shortToken}_${other}`])
  })
})
