import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createKeyward, MemoryKeyStore } from '../src/index.js'
import { derToRawSignature, type LeakReport, secretScanningHandler, type SecretScanningPublicKey } from '../src/secret-scanning.js'
import type { Keyward } from '../src/api.js'
import type { AuditLogOptions } from '../src/instance/audit-trail.js'
import type { KeyStore } from '../src/types.js'
import { CountingStore, manualClock, PEPPER } from './helpers.js'

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

/** The audit entries `query` selects as [action, actor id, owner], by action (entries of one millisecond have no order). */
async function auditOf(keyward: Keyward, query: AuditLogOptions) {
  const { items } = await keyward.auditLog(query)
  return items.map((e) => [e.action, e.actor?.id, e.ownerId]).sort((a, b) => a[0]!.localeCompare(b[0]!))
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
    expect(leaks[0]).toMatchObject({
      action: 'revoked',
      url: 'https://github.com/o/r/blob/main/.env',
      key: { id: info.id, ownerId: 'team-1' },
    })
    expect(JSON.stringify(leaks)).not.toContain(key.slice(-38))
    // The audit log names the handler: the leak, then the revocation.
    expect(await auditOf(keyward, { keyId: info.id })).toEqual([
      ['key.created', undefined, 'team-1'],
      ['key.leaked', 'github-secret-scanning', 'team-1'],
      ['key.revoked', 'github-secret-scanning', 'team-1'],
    ])
    // A second report of the same key: still a true positive, nothing left to do but record it.
    const again = await handle(signed(JSON.stringify([{ token: key, type: 'acme_api_key' }])))
    expect(again.body).toEqual([{ token_hash: sha(key), token_type: 'acme_api_key', label: 'true_positive' }])
    expect(leaks[1]).toMatchObject({ action: 'none' })
    expect((await auditOf(keyward, { actorId: 'github-secret-scanning' })).map(([action]) => action)).toEqual([
      'key.leaked',
      'key.leaked',
      'key.revoked',
    ])
  })

  it('can disable instead of revoking, and records the leak even when told to do nothing', async () => {
    const { keyward, handle } = await setup({ action: 'disable' })
    const { key, info } = await keyward.create({ name: 'CRM' })
    await handle(signed(JSON.stringify([{ token: key, type: 't' }])))
    expect(await keyward.verify(key)).toMatchObject({ code: 'disabled' })
    expect(await auditOf(keyward, { keyId: info.id })).toEqual([
      ['key.created', undefined, undefined],
      ['key.disabled', 'github-secret-scanning', undefined],
      ['key.leaked', 'github-secret-scanning', undefined],
    ])

    const watching = await setup({ action: 'none' })
    const found = await watching.keyward.create({ name: 'CRM' })
    // A URL Keyward would refuse in a notification is left out; the leak is still recorded.
    const report = [{ token: found.key, type: 't', url: `https://github.com/${'x'.repeat(2100)}` }]
    expect((await watching.handle(signed(JSON.stringify(report)))).status).toBe(200)
    expect((await watching.keyward.verify(found.key)).ok).toBe(true)
    expect(await auditOf(watching.keyward, { keyId: found.info.id })).toEqual([
      ['key.created', undefined, undefined],
      ['key.leaked', 'github-secret-scanning', undefined],
    ])
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

/** An unsigned-by-GitHub report under a made-up key identifier: a well-formed signature, so only the key list can refuse it. */
const bogus = () => signed('[]', impostor.privateKey, randomBytes(32).toString('hex'))
const pem = (key: { export(options: { type: 'spki'; format: 'pem' }): string | Buffer }) =>
  key.export({ type: 'spki', format: 'pem' }).toString()

/** A fetchPublicKeys that counts its calls and can be made to fail. */
function keySource(list: SecretScanningPublicKey[] = publicKeys) {
  const source = {
    calls: 0,
    failing: false,
    fetch: async () => {
      source.calls++
      await new Promise((resolve) => setTimeout(resolve, 5))
      if (source.failing) throw new Error('api.github.com: 503')
      return list
    },
  }
  return source
}

describe('secretScanningHandler: GitHub’s public keys', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('skips a listed key that is not P-256 (RSA, P-384, garbage): the others still verify, and nothing rejects unhandled', async () => {
    const rejections: unknown[] = []
    const onRejection = (reason: unknown) => void rejections.push(reason)
    process.on('unhandledRejection', onRejection)
    try {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
      const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
      const list = [
        { key_identifier: 'rsa', key: pem(rsa.publicKey) },
        { key_identifier: 'p384', key: pem(p384.publicKey) },
        { key_identifier: 'garbage', key: '-----BEGIN PUBLIC KEY-----\nnot base64 at all!\n-----END PUBLIC KEY-----' },
        { key_identifier: 'truncated', key: publicKeys[0]!.key.slice(0, 60) },
        ...publicKeys,
      ]
      const { keyward, handle, leaks } = await setup({ fetchPublicKeys: async () => list })
      const { key } = await keyward.create({ name: 'CRM' })
      expect((await handle(signed(JSON.stringify([{ token: key, type: 't' }])))).status).toBe(200)
      expect(leaks).toHaveLength(1)
      // A report naming one of the unusable keys is refused, not crashed on.
      const rsaSigned = {
        body: '[]',
        keyIdentifier: 'rsa',
        signature: sign('sha256', Buffer.from('[]'), rsa.privateKey).toString('base64'),
      }
      expect((await handle(rsaSigned)).status).toBe(401)
      expect((await handle(signed('[]', p384.privateKey, 'p384'))).status).toBe(401)
      // A list with no usable key at all refuses every report.
      const none = await setup({ fetchPublicKeys: async () => list.slice(0, 4) })
      expect((await none.handle(signed('[]'))).status).toBe(401)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(rejections).toEqual([])
    } finally {
      process.off('unhandledRejection', onRejection)
    }
  })

  it('fetches once for many concurrent reports under made-up key identifiers, then at most once per refreshIntervalMs', async () => {
    const clock = manualClock()
    const source = keySource()
    const { handle } = await setup({ fetchPublicKeys: source.fetch, now: clock.now })
    const burst = async (n: number) => {
      const responses = await Promise.all(Array.from({ length: n }, () => handle(bogus())))
      expect(responses.every((r) => r.status === 401)).toBe(true)
    }
    await burst(50)
    expect(source.calls).toBe(1)
    clock.advance(59_000)
    await burst(50)
    expect(source.calls).toBe(1)
    clock.advance(2_000)
    await burst(50)
    expect(source.calls).toBe(2)
    // Requests without a parsable signature never reach the key list.
    clock.advance(120_000)
    for (const signature of [undefined, '', 'not base64 at all!', Buffer.from('not DER').toString('base64')])
      expect((await handle({ body: '[]', keyIdentifier: 'made-up', signature })).status).toBe(401)
    expect((await handle({ ...signed('[]'), keyIdentifier: 'x'.repeat(10_000) })).status).toBe(401)
    expect(source.calls).toBe(2)
    // A genuine report still verifies from the cached list.
    expect((await handle(signed('[]'))).status).toBe(200)
  })

  it('keeps verifying with the last good keys while refreshes fail, backing off between attempts', async () => {
    const clock = manualClock()
    const source = keySource()
    const { keyward, handle } = await setup({
      fetchPublicKeys: source.fetch,
      now: clock.now,
      cacheMs: 3_600_000,
      refreshIntervalMs: 60_000,
    })
    expect((await handle(signed('[]'))).status).toBe(200)
    expect(source.calls).toBe(1)
    source.failing = true
    clock.advance(3_600_001) // the list is stale: a refresh is due, and fails
    const { key } = await keyward.create({ name: 'Leaked during a GitHub outage' })
    const report = signed(JSON.stringify([{ token: key, type: 't' }]))
    const responses = await Promise.all(Array.from({ length: 20 }, () => handle(report)))
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'revoked' })
    expect(source.calls).toBe(2) // one single-flight attempt for 20 concurrent reports
    for (let i = 0; i < 10; i++) expect((await handle(signed('[]'))).status).toBe(200)
    expect(source.calls).toBe(2) // no retry on every request
    clock.advance(60_000)
    await handle(signed('[]'))
    expect(source.calls).toBe(3)
    clock.advance(60_000) // the second failure doubled the wait to 120 s
    await handle(signed('[]'))
    expect(source.calls).toBe(3)
    clock.advance(60_000)
    await handle(signed('[]'))
    expect(source.calls).toBe(4)
    // Once GitHub answers again, the wait resets.
    source.failing = false
    clock.advance(240_000)
    expect((await handle(signed('[]'))).status).toBe(200)
    expect(source.calls).toBe(5)
    expect((await handle(bogus())).status).toBe(401)
    expect(source.calls).toBe(5)
  })

  it('gives up on a fetch that hangs after fetchTimeoutMs, and the default fetch carries an abort signal', async () => {
    const signals: AbortSignal[] = []
    const hang = (init?: { signal?: AbortSignal | null }) =>
      new Promise<never>((_, reject) => {
        if (init?.signal) {
          signals.push(init.signal)
          init.signal.addEventListener('abort', () => reject(init.signal!.reason))
        }
      })
    vi.stubGlobal(
      'fetch',
      vi.fn((_url: unknown, init?: { signal?: AbortSignal | null }) => hang(init)),
    )
    const keyward = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: PEPPER })
    const started = Date.now()
    const viaDefault = secretScanningHandler(keyward, { fetchTimeoutMs: 100 })
    expect((await viaDefault(signed('[]'))).status).toBe(401)
    expect(signals).toHaveLength(1)
    expect(signals[0]!.aborted).toBe(true)
    // A fetchPublicKeys that ignores its signal cannot stall the handler either.
    const ignoring = secretScanningHandler(keyward, { fetchTimeoutMs: 100, fetchPublicKeys: () => new Promise<never>(() => {}) })
    expect((await ignoring(signed('[]'))).status).toBe(401)
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('validates its options when built', async () => {
    const { keyward } = await setup()
    for (const bad of [
      { cacheMs: 0 },
      { refreshIntervalMs: -1 },
      { fetchTimeoutMs: Number.NaN },
      { dedupe: { max: 0 } },
      { dedupe: { windowMs: 1.5 } },
      { action: 'delete' },
      { fetchPublicKey: async () => [] },
    ])
      expect(() => secretScanningHandler(keyward, bad as never), JSON.stringify(bad)).toThrow(TypeError)
  })
})

/** A memory store whose updates (revoke, disable) can be made to fail. */
class FailingUpdates extends MemoryKeyStore {
  failing = false
  override async update(...args: Parameters<KeyStore['update']>) {
    if (this.failing) throw new Error('connection reset')
    return super.update(...args)
  }
}

describe('secretScanningHandler: replayed reports', () => {
  it('acts on and reports an identical match once: a replay is labelled again but changes nothing', async () => {
    const { keyward, handle, leaks } = await setup({ action: 'disable' })
    const { key, info } = await keyward.create({ name: 'CRM' })
    const report = signed(JSON.stringify([{ token: key, type: 't', url: 'https://github.com/o/r/blob/main/.env', source: 'content' }]))
    expect((await handle(report)).body).toEqual([{ token_hash: sha(key), token_type: 't', label: 'true_positive' }])
    expect(leaks).toMatchObject([{ action: 'disabled', key: { id: info.id } }])
    // The owner re-enables the key after checking; replaying GitHub's old report must not disable it again.
    await keyward.enable(info.id)
    const replays = await Promise.all([handle(report), handle(report), handle(report)])
    expect(replays.every((r) => r.status === 200 && JSON.stringify(r.body).includes('true_positive'))).toBe(true)
    expect(leaks).toHaveLength(1)
    expect((await keyward.verify(key)).ok).toBe(true)
    // The same key found somewhere else is news.
    await handle(signed(JSON.stringify([{ token: key, type: 't', url: 'https://github.com/o/other/blob/main/x', source: 'content' }])))
    expect(leaks).toHaveLength(2)
  })

  it('forgets after dedupe.windowMs, keeps at most dedupe.max matches, and dedupe: false reports every time', async () => {
    const clock = manualClock()
    const { keyward, handle, leaks } = await setup({ action: 'none', now: clock.now, dedupe: { windowMs: 60_000, max: 2 } })
    const keys = await Promise.all([1, 2, 3].map(async (n) => (await keyward.create({ name: `K${n}` })).key))
    const reportOf = (key: string) => signed(JSON.stringify([{ token: key, type: 't' }]))
    await handle(reportOf(keys[0]!))
    await handle(reportOf(keys[0]!))
    expect(leaks).toHaveLength(1)
    clock.advance(60_000)
    await handle(reportOf(keys[0]!))
    expect(leaks).toHaveLength(2)
    await handle(reportOf(keys[1]!))
    await handle(reportOf(keys[2]!)) // the third match pushes out the oldest
    await handle(reportOf(keys[0]!))
    expect(leaks).toHaveLength(5)

    const plain = await setup({ action: 'none', dedupe: false })
    const { key } = await plain.keyward.create({ name: 'K' })
    for (let i = 0; i < 3; i++) await plain.handle(reportOf(key))
    expect(plain.leaks).toHaveLength(3)
  })

  it('does not remember a match whose revocation failed, so GitHub’s retry revokes it', async () => {
    const store = new FailingUpdates()
    const { keyward, handle, leaks } = await setup({}, store)
    const { key } = await keyward.create({ name: 'CRM' })
    const report = signed(JSON.stringify([{ token: key, type: 't' }]))
    store.failing = true
    expect((await handle(report)).status).toBe(503)
    store.failing = false
    expect((await handle(report)).status).toBe(200)
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'revoked' })
    expect(leaks).toMatchObject([{ action: 'revoked' }])
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
    for (const bad of [
      [],
      [0x30],
      [0x30, 0x02, 0x02, 0x00],
      [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01],
      [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01],
    ])
      expect(derToRawSignature(Uint8Array.from(bad))).toBeNull()
    expect(derToRawSignature(Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]))?.[63]).toBe(2)
  })
})
