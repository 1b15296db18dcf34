import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { expectImportedKeysVerifyAndUpgrade, type ImportedKey, wrongKeyLike } from './check.js'
import { makeBetterAuthFixture } from './fixtures/better-auth.js'
import { deployment, tempDir } from './harness.js'

const dir = tempDir()
const fixture = await makeBetterAuthFixture(dir, 20)

/** A date column as Better Auth's SQLite adapter stored it (ISO text), or null. */
const dateOf = (value: string | number | null) => (value === null ? null : new Date(value))

describe("keys made by Better Auth's api-key plugin", () => {
  it('stored as SHA-256 of the whole key, base64url without padding (what the import declares)', () => {
    expect(fixture.rows).toHaveLength(20)
    for (const row of fixture.rows) {
      const key = fixture.plaintext.get(row.id)!
      expect(key).toMatch(/^ba_[A-Za-z]{64}$/)
      expect(row.key).toBe(createHash('sha256').update(key).digest('base64url'))
      expect(row.referenceId).toBe(fixture.userId)
    }
    expect(fixture.rows.filter((row) => row.expiresAt !== null).length).toBeGreaterThan(0)
    expect(fixture.rows.filter((row) => row.lastRequest !== null).length).toBeGreaterThan(0)
  })

  it('imports every row of its apikey table; each verifies over HTTP and is upgraded on first use', async () => {
    const target = deployment(dir, { prefixes: ['ba_'] })
    const served = await target.open()
    const keys: ImportedKey[] = []
    for (const row of fixture.rows) {
      const metadata = row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown> | null)
      const { info } = await served.keyward.import({
        name: row.name ?? 'imported',
        ownerId: row.referenceId,
        digest: { algorithm: 'sha256-base64url', value: row.key },
        expiresAt: dateOf(row.expiresAt),
        createdAt: dateOf(row.createdAt)!,
        lastUsedAt: dateOf(row.lastRequest),
        ...(metadata !== null && { metadata: { ...metadata, betterAuthId: row.id } }),
      })
      expect(info).toMatchObject({
        name: row.name,
        ownerId: fixture.userId,
        expiresAt: dateOf(row.expiresAt),
        createdAt: dateOf(row.createdAt),
        lastUsedAt: dateOf(row.lastRequest),
        legacyDigest: true,
      })
      if (metadata !== null) expect(info.metadata).toEqual({ ...metadata, betterAuthId: row.id })
      keys.push({ id: info.id, key: fixture.plaintext.get(row.id)! })
    }
    await expectImportedKeysVerifyAndUpgrade(
      target,
      served,
      keys,
      keys.slice(0, 2).map(({ key }) => wrongKeyLike(key)),
    )
  })
})
