/**
 * Secret scanning: the adapter's route acts on reports signed by GitHub's key over the raw body,
 * and answers every adapter alike. The signing key is made here with Web Crypto.
 */
import { createKeyward, type Keyward, MemoryKeyStore } from '@keyward/core'
import type { LeakReport } from '@keyward/core/secret-scanning'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { ConformanceAdapter, ConformanceServer } from './harness.js'
import { headerObject, rawRequest } from './raw-client.js'

const PATH = '/github/secret-scanning'

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
}

/** An r‖s signature (Web Crypto) as the ASN.1 DER GitHub sends. */
function rawToDer(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let start = 0
    while (start < bytes.length - 1 && bytes[start] === 0) start++
    const body = bytes.subarray(start)
    return body[0]! & 0x80 ? [0x02, body.length + 1, 0, ...body] : [0x02, body.length, ...body]
  }
  const content = [...integer(raw.subarray(0, 32)), ...integer(raw.subarray(32))]
  return Uint8Array.from([0x30, content.length, ...content])
}

export function secretScanningTests(adapter: ConformanceAdapter): void {
  const keyward: Keyward<string> = createKeyward({
    prefix: 'acme_live',
    store: new MemoryKeyStore(),
    pepper: 'secret-scanning-suite-pepper-0123456789',
  })
  const leaks: LeakReport[] = []
  let pair: CryptoKeyPair
  let server: ConformanceServer

  beforeAll(async () => {
    pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey))
    const pem = `-----BEGIN PUBLIC KEY-----\n${base64(spki)}\n-----END PUBLIC KEY-----\n`
    server = await adapter.startSecretScanning(keyward, {
      fetchPublicKeys: async () => [{ key_identifier: 'k1', key: pem }],
      onLeak: (report) => void leaks.push(report),
    })
  })
  afterAll(async () => {
    await server.close()
    await keyward.close()
  })

  async function post(body: string, signedBody = body) {
    const signature = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, utf8ToBytes(signedBody)))
    const response = await rawRequest(
      adapter.connect,
      server.port,
      'POST',
      PATH,
      [
        ['Content-Type', 'application/json'],
        ['GitHub-Public-Key-Identifier', 'k1'],
        ['GitHub-Public-Key-Signature', base64(rawToDer(signature))],
      ],
      body,
    )
    return { status: response.status, headers: headerObject(response), text: response.body }
  }
  const json = (status: number, value: unknown) => {
    const text = JSON.stringify(value)
    return {
      status,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'content-length': String(utf8ToBytes(text).length),
      },
      text,
    }
  }

  it('revokes a key GitHub reports with a valid signature over the raw body, and nothing without one', async () => {
    const { key, info } = await keyward.create({ name: 'CRM' })
    const body = JSON.stringify([{ token: key, type: 'acme_api_key', url: 'https://github.com/o/r/blob/main/x', source: 'content' }])
    // Signed over other bytes (the body re-serialised, say): refused, nothing revoked.
    expect(await post(body, `${body} `)).toEqual(json(401, { error: 'invalid signature' }))
    expect((await keyward.verify(key)).ok).toBe(true)
    expect(await post(body)).toEqual(
      json(200, [{ token_hash: bytesToHex(sha256(utf8ToBytes(key))), token_type: 'acme_api_key', label: 'true_positive' }]),
    )
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'revoked' })
    expect(leaks).toMatchObject([{ action: 'revoked', key: { id: info.id } }])
  })

  it('refuses a report over 1 MiB with 413 and acts on nothing', async () => {
    const { key } = await keyward.create({ name: 'Big report' })
    const body = JSON.stringify([{ token: key, type: 'acme_api_key', url: 'x'.repeat(1024 * 1024) }])
    expect(await post(body)).toEqual(json(413, { error: 'could not read the request body' }))
    expect((await keyward.verify(key)).ok).toBe(true)
  })
}
