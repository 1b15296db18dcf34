import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { createKeyward, MemoryKeyStore, type LeakReport } from '@keyward/core'
import express from 'express'
import { afterAll, expect, it } from 'vitest'
import { secretScanningRoute } from '../src/index.js'

const github = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
// With a pepper, as recommended: without one, GitHub's token_hash (SHA-256 of the token) would equal the stored digest.
const keyward = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: 'secret-scanning-test-pepper-0123456789' })
const leaks: LeakReport[] = []
const app = express()
app.post(
  '/github/secret-scanning',
  secretScanningRoute(keyward, {
    fetchPublicKeys: async () => [{ key_identifier: 'k1', key: github.publicKey.export({ type: 'spki', format: 'pem' }).toString() }],
    onLeak: (report) => void leaks.push(report),
  }),
)
const server = app.listen(0)
afterAll(() => new Promise((resolve) => server.close(resolve)))
const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/github/secret-scanning`

it('revokes a key GitHub reports with a valid signature, over a real socket', async () => {
  const { key, info } = await keyward.create({ name: 'CRM' })
  const body = JSON.stringify([{ token: key, type: 'acme_api_key', url: 'https://github.com/o/r/blob/main/x', source: 'content' }])
  const post = (signature: string) =>
    fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'github-public-key-identifier': 'k1', 'github-public-key-signature': signature },
      body,
    })
  const forged = await post(sign('sha256', Buffer.from(`${body} `), github.privateKey).toString('base64'))
  expect(forged.status).toBe(401)
  expect((await keyward.verify(key)).ok).toBe(true)

  const response = await post(sign('sha256', Buffer.from(body), github.privateKey).toString('base64'))
  expect(response.status).toBe(200)
  expect(await response.json()).toEqual([
    { token_hash: createHash('sha256').update(key).digest('hex'), token_type: 'acme_api_key', label: 'true_positive' },
  ])
  expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'revoked' })
  expect(leaks).toMatchObject([{ action: 'revoked', key: { id: info.id } }])
})
