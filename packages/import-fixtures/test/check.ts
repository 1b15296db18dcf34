import type { ApiKeyRecord } from '@keyward/core/store'
import { expect } from 'vitest'
import type { Deployment, Served } from './harness.js'

/** A key as its system issued it, and the id `keyward.import` gave its record. */
export interface ImportedKey {
  id: string
  key: string
}

const POLL = { timeout: 5_000, interval: 20 }

/** Each record's digest algorithm, read from the store itself. */
async function algorithms(served: Served, keys: ImportedKey[]): Promise<(ApiKeyRecord['algorithm'] | undefined)[]> {
  return Promise.all(keys.map(async ({ id }) => (await served.store.findById(id))?.algorithm))
}

/**
 * The contract of an import, checked over HTTP: every imported key is still legacy until used; a
 * wrong key of the same shape gets 401 and upgrades nothing; the first 200 re-digests a key under
 * the pepper (`hmac-sha256`, `legacyDigest: false`) and `migrationStatus()` follows, half the keys
 * then the rest; and a fresh instance on the same SQLite file verifies every upgraded key again.
 */
export async function expectImportedKeysVerifyAndUpgrade(
  deployment: Deployment,
  served: Served,
  keys: ImportedKey[],
  wrongKeys: string[],
): Promise<void> {
  const n = keys.length
  const { keyward } = served
  expect(await algorithms(served, keys)).toEqual(keys.map(() => expect.stringMatching(/^legacy-/)))
  for (const { id } of keys) expect((await keyward.get(id))?.legacyDigest).toBe(true)
  expect(await keyward.migrationStatus()).toEqual({ imported: n, upgraded: 0, legacy: n, unusedSinceImport: n })

  for (const wrong of wrongKeys) expect(await served.request(wrong)).toEqual({ status: 401 })
  expect(await algorithms(served, keys)).toEqual(keys.map(() => expect.stringMatching(/^legacy-/)))

  const half = keys.slice(0, Math.ceil(n / 2))
  const rest = keys.slice(half.length)
  for (const { id, key } of half) expect(await served.request(key)).toEqual({ status: 200, id })
  await expect.poll(() => algorithms(served, half), POLL).toEqual(half.map(() => 'hmac-sha256'))
  for (const { id } of half) expect((await keyward.get(id))?.legacyDigest).toBe(false)
  expect(await algorithms(served, rest)).toEqual(rest.map(() => expect.stringMatching(/^legacy-/)))
  const halfway = { imported: n, upgraded: half.length, legacy: rest.length, unusedSinceImport: rest.length }
  await expect.poll(() => keyward.migrationStatus(), POLL).toEqual(halfway)

  for (const { id, key } of rest) expect(await served.request(key)).toEqual({ status: 200, id })
  await expect.poll(() => algorithms(served, keys), POLL).toEqual(keys.map(() => 'hmac-sha256'))
  await expect.poll(() => keyward.migrationStatus(), POLL).toEqual({ imported: n, upgraded: n, legacy: 0, unusedSinceImport: 0 })

  const fresh = await deployment.open()
  for (const { id, key } of keys) expect(await fresh.request(key)).toEqual({ status: 200, id })
  for (const wrong of wrongKeys) expect(await fresh.request(wrong)).toEqual({ status: 401 })
  expect(await fresh.keyward.migrationStatus()).toEqual({ imported: n, upgraded: n, legacy: 0, unusedSinceImport: 0 })
}

/** A key of the same prefix and shape that was never issued: the last character changed. */
export function wrongKeyLike(key: string): string {
  const last = key.at(-1)!
  return key.slice(0, -1) + (last === 'a' ? 'b' : 'a')
}

/**
 * Keys imported as plaintext are digested under the pepper at once (`hmac-sha256`, counted upgraded
 * and unused); each verifies over HTTP, a wrong key gets 401, and a fresh instance verifies them again.
 */
export async function expectPlaintextKeysVerify(deployment: Deployment, served: Served, keys: ImportedKey[], wrongKeys: string[]) {
  const n = keys.length
  expect(await algorithms(served, keys)).toEqual(keys.map(() => 'hmac-sha256'))
  for (const { id } of keys) expect((await served.keyward.get(id))?.legacyDigest).toBe(false)
  expect(await served.keyward.migrationStatus()).toEqual({ imported: n, upgraded: n, legacy: 0, unusedSinceImport: n })
  for (const wrong of wrongKeys) expect(await served.request(wrong)).toEqual({ status: 401 })
  for (const { id, key } of keys) expect(await served.request(key)).toEqual({ status: 200, id })
  await expect.poll(() => served.keyward.migrationStatus(), POLL).toEqual({ imported: n, upgraded: n, legacy: 0, unusedSinceImport: 0 })
  const fresh = await deployment.open()
  for (const { id, key } of keys) expect(await fresh.request(key)).toEqual({ status: 200, id })
  for (const wrong of wrongKeys) expect(await fresh.request(wrong)).toEqual({ status: 401 })
}
