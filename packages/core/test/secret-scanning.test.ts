import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createKeyward, derToRawSignature, MemoryKeyStore, secretScanningHandler, type LeakReport } from '../src/index.js'
import { CountingStore, PEPPER } from './helpers.js'

const github = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
const impostor = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
const KEY_ID = 'bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c'
const publicKeys = [{ key_identifier: KEY_ID, key: github.publicKey.export({ type: 'spki', format: 'pem' }).toString() }]

function signed(body: string, privateKey = github.privateKey, keyIdentifier = KEY_ID) {
  return { body, keyIdentifier, signature: sign('sha256', Buffer.from(body), privateKey).toString('base64') }
}
const sha = (token: string) => createHash('sha256').update(token).digest('hex')

async function setup(options: Parameters<typeof secretScanningHandler>[1] = {}, store = new MemoryKeyStore()) {
  const keyward = createKeyward({ prefix: 'acme_live', store, pepper: PEPPER })
  const leaks: LeakReport[] = []
  let fetches = 0
  const handle = secretScanningHandler(keyward, {
    fetchPublicKeys: async () => {
      fetches++
      return publicKeys
    },
    onLeak: (report) => {
      leaks.push(report)
    },
    ...options,
  })
  return { keyward, handle, leaks, fetches: () => fetches, store }
}

describe('secretScanningHandler', () => {
  it('revokes a leaked key, reports it, and labels every token by hash', async () => {
    const { keyward, handle, leaks } = await setup()
    const { key, info } = await keyward.create({ name: 'CRM', ownerId: 'team-1' })
    const other = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore() })
    const { key: notOurs } = await other.create({ name: 'elsewhere' })
    const body = JSON.stringify([
      { token: key, type: 'acme_api_key', url: 'https://github.com/o/r/blob/main/.env', source: 'content' },
      { token: notOurs, type: 'acme_api_key', url: '', source: 'content' },
      { token: 'acme_live_not_even_close', type: 'acme_api_key' },
    ])
    const response = await handle(signed(body))
    expect(response).toEqual({
      status: 200,
      body: [
        { token_hash: sha(key), token_type: 'acme_api_key', label: 'true_positive' },
        { token_hash: sha(notOurs), token_type: 'acme_api_key', label: 'false_positive' },
        { token_hash: sha('acme_live_not_even_close'), token_type: 'acme_api_key', label: 'false_positive' },
      ],
    })
    expect(JSON.stringify(response)).not.toContain(key)
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'revoked' })
    expect(leaks).toHaveLength(1)
    expect(leaks[0]).toMatchObject({ action: 'revoked', url: 'https://github.com/o/r/blob/main/.env', key: { id: info.id, ownerId: 'team-1' } })
    expect(JSON.stringify(leaks)).not.toContain(key.slice(-38))
    // A second report of the same key: still a true positive, nothing left to do.
    const again = await handle(signed(JSON.stringify([{ token: key, type: 'acme_api_key' }])))
    expect(again.body).toEqual([{ token_hash: sha(key), token_type: 'acme_api_key', label: 'true_positive' }])
    expect(leaks[1]).toMatchObject({ action: 'none' })
  })

  it('can disable instead of revoking', async () => {
    const { keyward, handle } = await setup({ action: 'disable' })
    const { key } = await keyward.create({ name: 'CRM' })
    await handle(signed(JSON.stringify([{ token: key, type: 't' }])))
    expect(await keyward.verify(key)).toMatchObject({ code: 'disabled' })
  })

  it('refuses unsigned, tampered and foreign-signed reports without touching any key', async () => {
    const { keyward, handle } = await setup()
    const { key } = await keyward.create({ name: 'CRM' })
    const body = JSON.stringify([{ token: key, type: 't' }])
    const good = signed(body)
    for (const request of [
      { ...good, signature: undefined },
      { ...good, keyIdentifier: undefined },
      { ...good, body: body.replace('"t"', '"u"') },
      signed(body, impostor.privateKey),
      signed(body, github.privateKey, 'unknown-identifier'),
      { ...good, signature: 'not base64 at all!' },
    ])
      expect(await handle(request)).toEqual({ status: 401, body: { error: 'invalid signature' } })
    expect((await keyward.verify(key)).ok).toBe(true)
  })

  it('caches GitHub’s public keys', async () => {
    const { handle, fetches } = await setup()
    for (let i = 0; i < 3; i++) await handle(signed('[]'))
    expect(fetches()).toBe(1)
  })

  it('answers 400 for a body that is not a list of matches, and 503 when the store fails', async () => {
    const store = new CountingStore()
    const { keyward, handle } = await setup({}, store)
    expect((await handle(signed('{"token":1}'))).status).toBe(400)
    expect((await handle(signed('not json'))).status).toBe(400)
    const { key } = await keyward.create({ name: 'CRM' })
    store.failing = true
    expect(await handle(signed(JSON.stringify([{ token: key, type: 't' }])))).toMatchObject({ status: 503 })
  })
})

describe('derToRawSignature', () => {
  it('converts DER signatures into the r‖s form that verifies', () => {
    const data = Buffer.from('payload')
    for (let i = 0; i < 200; i++) {
      const der = sign('sha256', data, github.privateKey)
      const raw = derToRawSignature(der)
      expect(raw).not.toBeNull()
      expect(verify('sha256', data, { key: github.publicKey, dsaEncoding: 'ieee-p1363' }, raw!)).toBe(true)
    }
  })

  it('rejects malformed DER', () => {
    for (const bad of [[], [0x30], [0x30, 0x02, 0x02, 0x00], [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01]])
      expect(derToRawSignature(Uint8Array.from(bad))).toBeNull()
    expect(derToRawSignature(Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]))?.[63]).toBe(2)
  })
})
