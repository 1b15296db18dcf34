import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKeyward, MemoryKeyStore, type ApiKeyRecord, type Keyward, type StoreListPage, type StoreListQuery } from '@keyward/core'
import express, { type Request } from 'express'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { keyManagementRouter, type KeyManagementOptions } from '../src/management.js'

/** A memory store that can be made to fail, to see 503s. */
class FlakyStore extends MemoryKeyStore {
  failing = false
  override async findById(id: string): Promise<ApiKeyRecord | null> {
    if (this.failing) throw new Error('connection refused')
    return super.findById(id)
  }
  override async list(query: StoreListQuery): Promise<StoreListPage> {
    if (this.failing) throw new Error('connection refused')
    return super.list(query)
  }
}

interface Started {
  base: string
  host: string
  close(): Promise<void>
}

/** Listen on a free port, then build the app for that address (its own origin is an allowed one). */
async function start(makeApp: (origin: string) => express.Express): Promise<Started> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  server.on('request', makeApp(`http://127.0.0.1:${port}`))
  return {
    base: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const store = new FlakyStore()
const keyward: Keyward<string> = createKeyward({ prefix: 'acme_test', store, pepper: 'a-test-pepper-of-at-least-32-bytes!!', cache: false, throttle: false })
let owner: string | Error = 'team-a'
const onError = vi.fn()
let server: Started

function managementApp(options: Partial<KeyManagementOptions> = {}, parseJsonFirst = false, kw: Keyward<string> = keyward): (origin: string) => express.Express {
  return (origin) => {
    const app = express()
    app.disable('x-powered-by')
    if (parseJsonFirst) app.use(express.json())
    app.use(
      '/api/keys',
      keyManagementRouter(kw, {
        authorize: async (req: Request) => {
          if (owner instanceof Error) throw owner
          return req.get('x-test-owner') ?? owner
        },
        allowedOrigins: [origin],
        onError,
        ...options,
      }),
    )
    return app
  }
}

interface Call {
  status: number
  headers: Headers
  text: string
  json: any
}

async function call(
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; headers?: Record<string, string>; origin?: string | null; base?: Started } = {},
): Promise<Call> {
  const target = options.base ?? server
  const headers: Record<string, string> = { ...options.headers }
  const origin = options.origin === undefined ? `http://${target.host}` : options.origin
  if (origin !== null) headers.origin = origin
  let body: string | undefined = options.raw
  if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
  const response = await send(`${target.base}/api/keys${path}`, method, headers, body)
  const text = response.text
  let json: unknown
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

/** One request over node:http, which (unlike fetch) sends any Host header it is given. */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers }, (incoming) => {
      const chunks: Buffer[] = []
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
      incoming.on('end', () => {
        const received = new Headers()
        for (const [name, value] of Object.entries(incoming.headers))
          if (value !== undefined) received.set(name, Array.isArray(value) ? value.join(', ') : value)
        resolve({ status: incoming.statusCode!, headers: received, text: Buffer.concat(chunks).toString('utf8') })
      })
      incoming.on('error', reject)
    })
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

async function createKey(name = 'CRM sync', extra: Record<string, unknown> = {}, as?: string): Promise<{ key: string; id: string }> {
  const response = await call('POST', '/', { body: { name, ...extra }, ...(as !== undefined && { headers: { 'x-test-owner': as } }) })
  expect(response.status).toBe(201)
  return { key: response.json.key, id: response.json.info.id }
}

function expectProblem(response: Call, status: number, code: string): void {
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  expect(response.headers.get('cache-control')).toBe('no-store')
  expect(response.json).toMatchObject({ type: 'about:blank', status, code })
  expect(typeof response.json.detail).toBe('string')
}

beforeAll(async () => {
  server = await start(managementApp())
})
afterAll(async () => {
  await server.close()
  await keyward.close()
})
afterEach(() => {
  owner = 'team-a'
  store.failing = false
  onError.mockClear()
})

describe('keyManagementRouter: lifecycle for one owner', () => {
  it('creates a key (201, shown once), lists it without the secret, and the key verifies', async () => {
    const created = await call('POST', '/', { body: { name: '  HubSpot CRM sync ', scopes: ['contacts:sync'] } })
    expect(created.status).toBe(201)
    expect(created.headers.get('cache-control')).toBe('no-store')
    expect(created.json.key).toMatch(/^acme_test_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/)
    expect(created.json.info).toMatchObject({ name: 'HubSpot CRM sync', ownerId: 'team-a', scopes: ['contacts:sync'], status: 'active' })
    expect(created.json.info).not.toHaveProperty('digest')
    const { key } = created.json
    const verified = await keyward.verify(key, { scopes: ['contacts:sync'] })
    expect(verified.ok).toBe(true)

    const list = await call('GET', '/', { origin: null })
    expect(list.status).toBe(200)
    expect(list.text).not.toContain(key)
    expect(list.text).not.toContain(key.slice(-20))
    expect(list.json.items.map((item: { id: string }) => item.id)).toContain(created.json.info.id)
    expect(list.json.items.every((item: { ownerId: string }) => item.ownerId === 'team-a')).toBe(true)

    const one = await call('GET', `/${created.json.info.id}`, { origin: null })
    expect(one.status).toBe(200)
    expect(one.json.redacted).toBe(keyward.redact(key))
    expect(one.text).not.toContain(key)
  })

  it('accepts expiresAt as an ISO string and updates name, scopes and expiry with PATCH', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString()
    const { id, key } = await createKey('Zapier', { expiresAt })
    expect((await call('GET', `/${id}`)).json.expiresAt).toBe(expiresAt)
    const patched = await call('PATCH', `/${id}`, { body: { name: 'Zapier workflows', scopes: ['workflows:trigger'], expiresAt: null } })
    expect(patched.status).toBe(200)
    expect(patched.json).toMatchObject({ id, name: 'Zapier workflows', scopes: ['workflows:trigger'], expiresAt: null })
    expect(patched.text).not.toContain(key)
  })

  it('disables, enables and revokes; the key follows', async () => {
    const { id, key } = await createKey()
    const disabled = await call('POST', `/${id}/disable`)
    expect(disabled.status).toBe(200)
    expect(disabled.json.status).toBe('disabled')
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'disabled' })
    const enabled = await call('POST', `/${id}/enable`)
    expect(enabled.json.status).toBe('active')
    expect((await keyward.verify(key)).ok).toBe(true)
    const revoked = await call('POST', `/${id}/revoke`)
    expect(revoked.json.status).toBe('revoked')
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'revoked' })
    // Revoked keys leave the list unless asked for.
    expect((await call('GET', '/')).json.items.map((i: { id: string }) => i.id)).not.toContain(id)
    expect((await call('GET', '/?includeRevoked=true')).json.items.map((i: { id: string }) => i.id)).toContain(id)
    // And cannot come back.
    expectProblem(await call('POST', `/${id}/enable`), 409, 'invalid_state')
  })

  it('rotates with a grace period: a new key, the old one valid until the grace ends', async () => {
    const { id, key } = await createKey('Rotating', { scopes: ['messages:send'] })
    const before = Date.now()
    const rotated = await call('POST', `/${id}/rotate`, { body: { gracePeriodMs: 3_600_000 } })
    expect(rotated.status).toBe(200)
    expect(rotated.headers.get('cache-control')).toBe('no-store')
    const { key: next, info, previous } = rotated.json
    expect(next).not.toBe(key)
    expect(info).toMatchObject({ name: 'Rotating', ownerId: 'team-a', scopes: ['messages:send'], rotatedFromId: id })
    expect(previous).toMatchObject({ id, rotatedToId: info.id })
    const graceEnd = Date.parse(previous.expiresAt)
    expect(graceEnd).toBeGreaterThanOrEqual(before + 3_600_000)
    expect(graceEnd).toBeLessThan(Date.now() + 3_600_000 + 1000)
    expect((await keyward.verify(next)).ok).toBe(true)
    expect((await keyward.verify(key)).ok).toBe(true)
    expect(rotated.text.split(next).length).toBe(2) // the new key once, the old one never
    expect(rotated.text).not.toContain(key)
    // A second rotation of the same key conflicts.
    expectProblem(await call('POST', `/${id}/rotate`, { body: { gracePeriodMs: 0 } }), 409, 'conflict')
  })

  it('deletes (204, empty body) and the key stops working', async () => {
    const { id, key } = await createKey('Temporary')
    const deleted = await call('DELETE', `/${id}`)
    expect(deleted.status).toBe(204)
    expect(deleted.text).toBe('')
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'invalid' })
    expectProblem(await call('DELETE', `/${id}`), 404, 'not_found')
  })

  it('reads a body that express.json() already parsed', async () => {
    const parsed = await start(managementApp({}, true))
    try {
      const created = await call('POST', '/', { body: { name: 'Parsed first', scopes: ['messages:send'] }, base: parsed })
      expect(created.status).toBe(201)
      expect(created.json.info.scopes).toEqual(['messages:send'])
      const rotated = await call('POST', `/${created.json.info.id}/rotate`, { body: { gracePeriodMs: 1000 }, base: parsed })
      expect(rotated.status).toBe(200)
    } finally {
      await parsed.close()
    }
  })
})

describe('keyManagementRouter: owners', () => {
  it('answers 404 for another owner\'s key exactly as for an unknown one, and changes nothing', async () => {
    const theirs = await createKey('Their key', {}, 'team-b')
    const unknownId = theirs.id.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'))
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['PATCH', '', { name: 'Hijacked' }],
      ['POST', '/disable', undefined],
      ['POST', '/revoke', undefined],
      ['POST', '/rotate', { gracePeriodMs: 0 }],
      ['DELETE', '', undefined],
    ] as const) {
      const foreign = await call(method, `/${theirs.id}${suffix}`, { body })
      const unknown = await call(method, `/${unknownId}${suffix}`, { body })
      expectProblem(foreign, 404, 'not_found')
      expectProblem(unknown, 404, 'not_found')
      expect(foreign.json.detail.replace(theirs.id, 'ID')).toBe(unknown.json.detail.replace(unknownId, 'ID'))
    }
    expect(await keyward.get(theirs.id)).toMatchObject({ name: 'Their key', status: 'active', rotatedToId: null })
    expect((await keyward.verify(theirs.key)).ok).toBe(true)
    const list = await call('GET', '/')
    expect(list.json.items.map((i: { id: string }) => i.id)).not.toContain(theirs.id)
  })

  it('ignores an ownerId in the body: the owner comes from authorize alone', async () => {
    expectProblem(await call('POST', '/', { body: { name: 'Sneaky', ownerId: 'team-b' } }), 400, 'invalid_input')
    expect((await call('POST', '/', { body: { name: 'Sneaky', ownerId: 'team-b' } })).json.field).toBe('ownerId')
  })

  it('answers 401 when authorize throws, rejects or returns no owner', async () => {
    owner = new Error('no session')
    expectProblem(await call('GET', '/'), 401, 'unauthorized')
    expectProblem(await call('POST', '/', { body: { name: 'x' } }), 401, 'unauthorized')
    owner = ''
    expectProblem(await call('GET', '/'), 401, 'unauthorized')
    const sync = await start(
      managementApp({
        authorize: () => {
          throw new Error('nope')
        },
      }),
    )
    try {
      const refused = await call('GET', '/', { base: sync })
      expectProblem(refused, 401, 'unauthorized')
      expect(refused.text).not.toContain('nope')
    } finally {
      await sync.close()
    }
  })
})

describe('keyManagementRouter: request checks', () => {
  it('refuses requests that carry an API key, valid or not, before authorize', async () => {
    const { key } = await createKey('A key')
    const authorize = vi.fn(() => 'team-a')
    const app = await start(managementApp({ authorize }))
    try {
      const variants: Record<string, string>[] = [{ authorization: `Bearer ${key}` }, { 'x-api-key': key }, { authorization: 'Bearer something' }, { 'X-Api-Key': 'x' }]
      for (const headers of variants) {
        const get = await call('GET', '/', { headers, base: app })
        expectProblem(get, 403, 'api_key_not_accepted')
        expect(get.text).not.toContain(key)
        expectProblem(await call('POST', '/', { headers, body: { name: 'Via key' }, base: app }), 403, 'api_key_not_accepted')
      }
      expect(authorize).not.toHaveBeenCalled()
      // Another Authorization scheme (a session) is not a key.
      expect((await call('GET', '/', { headers: { authorization: 'Basic dTpw' }, base: app })).status).toBe(200)
    } finally {
      await app.close()
    }
  })

  it('lets apiKeyHeaders narrow what counts as a key, for bearer sessions', async () => {
    const app = await start(managementApp({ apiKeyHeaders: ['x-api-key'] }))
    try {
      expect((await call('GET', '/', { headers: { authorization: 'Bearer session-token' }, base: app })).status).toBe(200)
      expectProblem(await call('GET', '/', { headers: { 'x-api-key': 'k' }, base: app }), 403, 'api_key_not_accepted')
    } finally {
      await app.close()
    }
  })

  it('accepts a state-changing request only from an Origin in allowedOrigins', async () => {
    const { id } = await createKey('Origin checks')
    const missing = await call('POST', '/', { body: { name: 'No origin' }, origin: null })
    expectProblem(missing, 403, 'origin_not_allowed')
    expect(missing.json.detail).toMatch(/Origin header/)
    expectProblem(await call('POST', '/', { body: { name: 'Evil' }, origin: 'https://evil.example' }), 403, 'origin_not_allowed')
    expectProblem(await call('POST', '/', { body: { name: 'Null' }, origin: 'null' }), 403, 'origin_not_allowed')
    // Same host on another port, or over https, is another origin.
    expectProblem(await call('POST', `/${id}/disable`, { origin: 'http://127.0.0.1:1' }), 403, 'origin_not_allowed')
    expectProblem(await call('POST', `/${id}/disable`, { origin: `https://${server.host}` }), 403, 'origin_not_allowed')
    expectProblem(await call('PATCH', `/${id}`, { body: { name: 'x' }, origin: 'http://evil.example' }), 403, 'origin_not_allowed')
    expectProblem(await call('DELETE', `/${id}`, { origin: null }), 403, 'origin_not_allowed')
    expect(await keyward.get(id)).toMatchObject({ name: 'Origin checks', status: 'active' })
    // Reads need no Origin.
    expect((await call('GET', '/', { origin: null })).status).toBe(200)

    const app = await start(managementApp({ allowedOrigins: ['https://dashboard.acme.test', 'http://localhost:3000'] }))
    try {
      expect((await call('POST', `/${id}/disable`, { origin: 'https://dashboard.acme.test', base: app })).status).toBe(200)
      expect((await call('POST', `/${id}/enable`, { origin: 'http://localhost:3000', base: app })).status).toBe(200)
      expectProblem(await call('POST', `/${id}/disable`, { origin: 'https://other.acme.test', base: app }), 403, 'origin_not_allowed')
      // The server's own address is not allowed unless listed.
      expectProblem(await call('POST', `/${id}/disable`, { base: app }), 403, 'origin_not_allowed')
    } finally {
      await app.close()
    }
    expect((await keyward.get(id))?.status).toBe('active')
  })

  it('refuses a DNS-rebinding page whose Host and Origin agree on the attacker\'s name: nothing is created', async () => {
    const port = server.host.split(':')[1]
    const rebound = await call('POST', '/', {
      body: { name: 'Rebound', scopes: ['*'] },
      origin: `http://evil.example:${port}`,
      headers: { host: `evil.example:${port}` },
    })
    expectProblem(rebound, 403, 'origin_not_allowed')
    expect(rebound.text).not.toMatch(/acme_test_/)
    const { id } = await createKey('Rebinding target')
    for (const [method, suffix] of [['POST', '/rotate'], ['POST', '/disable'], ['DELETE', '']] as const) {
      const refused = await call(method, `/${id}${suffix}`, { origin: `http://evil.example:${port}`, headers: { host: `evil.example:${port}` } })
      expectProblem(refused, 403, 'origin_not_allowed')
    }
    expect(await keyward.get(id)).toMatchObject({ status: 'active', rotatedToId: null })
    const names = (await store.list({ ownerId: 'team-a', limit: 1000, includeRevoked: true })).items.map((record) => record.name)
    expect(names).not.toContain('Rebound')
  })

  it('maps invalid input to 400 with the field at fault', async () => {
    const cases: [unknown, string][] = [
      [{}, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(101) }, 'name'],
      [{ name: 'Bad\u0007bell' }, 'name'],
      [{ name: 'Scopes', scopes: ['Messages:Send'] }, 'scopes[0]'],
      [{ name: 'Scopes', scopes: 'messages:send' }, 'scopes'],
      [{ name: 'Past', expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
      [{ name: 'Garbage date', expiresAt: 'tomorrow-ish' }, 'expiresAt'],
      [{ name: 'Extra', metadata: {} }, 'metadata'],
      [[1, 2], 'body'],
    ]
    for (const [body, field] of cases) {
      const response = await call('POST', '/', { body })
      expectProblem(response, 400, 'invalid_input')
      expect(response.json.field).toBe(field)
    }
    const { id } = await createKey('Grace')
    const bad = await call('POST', `/${id}/rotate`, { body: { gracePeriodMs: -5 } })
    expectProblem(bad, 400, 'invalid_input')
    expect(bad.json.field).toBe('gracePeriodMs')
    expect((await call('POST', `/${id}/disable`, { body: { reason: 'x' } })).json.field).toBe('reason')
    expect((await call('GET', '/?limit=1000')).json).toMatchObject({ status: 400, field: 'limit' })
  })

  it('never echoes a key, not even one pasted where it does not belong', async () => {
    const { key } = await createKey('Leaky')
    const asName = await call('POST', '/', { body: { name: key } })
    expectProblem(asName, 400, 'invalid_input')
    expect(asName.text).not.toContain(key)
    const asField = await call('POST', '/', { body: { name: 'x', [key]: 1 } })
    expectProblem(asField, 400, 'invalid_input')
    expect(asField.text).not.toContain(key)
    expect(asField.text).toContain(keyward.redact(key))
    const asScope = await call('POST', '/', { body: { name: 'x', scopes: [key] } })
    expect(asScope.status).toBe(400)
    expect(asScope.text).not.toContain(key)
  })

  it('refuses bodies that are not JSON, too large or malformed', async () => {
    expectProblem(await call('POST', '/', { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type')
    expectProblem(await call('POST', '/', { raw: 'name=x', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type')
    const malformed = await call('POST', '/', { raw: '{"name":', headers: { 'content-type': 'application/json' } })
    expectProblem(malformed, 400, 'invalid_input')
    expect(malformed.json.field).toBe('body')
    expectProblem(await call('POST', '/', { body: { name: 'x'.repeat(20_000) } }), 413, 'body_too_large')
  })

  it('restricts scopes to allowedScopes', async () => {
    const app = await start(managementApp({ allowedScopes: ['messages:send', 'contacts:*'] }))
    try {
      expect((await call('POST', '/', { body: { name: 'ok', scopes: ['messages:send', 'contacts:sync', 'contacts:*'] }, base: app })).status).toBe(201)
      for (const scope of ['*', 'workflows:trigger', 'messages:*']) {
        const refused = await call('POST', '/', { body: { name: 'too much', scopes: ['messages:send', scope] }, base: app })
        expectProblem(refused, 400, 'invalid_input')
        expect(refused.json.field).toBe('scopes[1]')
      }
    } finally {
      await app.close()
    }
  })

  it('refuses to rotate, enable or update a key whose scopes exceed allowedScopes, and lets it be narrowed', async () => {
    const app = await start(managementApp({ allowedScopes: ['messages:send', 'contacts:*'] }))
    try {
      // Keys made elsewhere (the CLI, another page) with more than this page may grant.
      for (const scopes of [['*'], ['messages:send', 'workflows:trigger'], ['contacts:*', 'messages:*']]) {
        const { key, info } = await keyward.create({ name: 'Made elsewhere', ownerId: 'team-a', scopes })
        const rotate = await call('POST', `/${info.id}/rotate`, { body: { gracePeriodMs: 0 }, base: app })
        expectProblem(rotate, 403, 'scope_not_allowed')
        expect(rotate.text).not.toMatch(/acme_test_\w{12}_/)
        expectProblem(await call('PATCH', `/${info.id}`, { body: { name: 'Renamed' }, base: app }), 403, 'scope_not_allowed')
        expectProblem(await call('PATCH', `/${info.id}`, { body: { expiresAt: null }, base: app }), 403, 'scope_not_allowed')
        expect((await call('POST', `/${info.id}/disable`, { base: app })).status).toBe(200)
        expectProblem(await call('POST', `/${info.id}/enable`, { base: app }), 403, 'scope_not_allowed')
        expect(await keyward.get(info.id)).toMatchObject({ name: 'Made elsewhere', status: 'disabled', scopes, rotatedToId: null })
        expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'disabled' })
        // Narrowed to what this page grants, it is an ordinary key again.
        const narrowed = await call('PATCH', `/${info.id}`, { body: { scopes: ['messages:send'] }, base: app })
        expect(narrowed.status).toBe(200)
        expect((await call('POST', `/${info.id}/enable`, { base: app })).status).toBe(200)
        const rotated = await call('POST', `/${info.id}/rotate`, { body: { gracePeriodMs: 0 }, base: app })
        expect(rotated.status).toBe(200)
        expect(rotated.json.info.scopes).toEqual(['messages:send'])
        // Reading, revoking and deleting stay possible for an over-scoped key.
        const other = await keyward.create({ name: 'Also elsewhere', ownerId: 'team-a', scopes })
        expect((await call('GET', `/${other.info.id}`, { base: app })).status).toBe(200)
        expect((await call('POST', `/${other.info.id}/revoke`, { base: app })).status).toBe(200)
        expect((await call('DELETE', `/${other.info.id}`, { base: app })).status).toBe(204)
      }
    } finally {
      await app.close()
    }
  })

  it('never quotes a key, or a secret, given where a key id belongs', async () => {
    const { key } = await createKey('Pasted into the URL')
    const foreign = await createKeyward({ prefix: 'other_live', store: new MemoryKeyStore() }).create({ name: 'Another deployment' })
    const long = createKeyward({ prefix: 'acme_production_eu', store, pepper: 'a-test-pepper-of-at-least-32-bytes!!', cache: false })
    const longKey = (await long.create({ name: 'Long prefix', ownerId: 'team-a' })).key
    const secretOf = (k: string) => k.slice(-38)
    for (const pasted of [key, foreign.key, longKey, secretOf(key), `${key}x`]) {
      for (const [method, suffix, body] of [['GET', '', undefined], ['PATCH', '', { name: 'x' }], ['POST', '/rotate', {}], ['DELETE', '', undefined]] as const) {
        const response = await call(method, `/${encodeURIComponent(pasted)}${suffix}`, { body })
        expectProblem(response, 404, 'not_found')
        // No run of 8 characters of any secret comes back.
        for (const k of [key, foreign.key, longKey])
          for (let i = 0; i + 8 <= 38; i += 4) expect(response.text).not.toContain(secretOf(k).slice(i, i + 8))
      }
    }
    await long.close()
  })

  it('answers 405 with Allow for a wrong method and passes unknown paths on', async () => {
    const wrong = await call('PUT', '/')
    expectProblem(wrong, 405, 'method_not_allowed')
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, POST')
    expect((await call('GET', '/abc/disable')).headers.get('allow')).toBe('POST')
    const unknown = await call('GET', '/abc/def/ghi')
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get('content-type')).not.toBe('application/problem+json') // Express's own 404
  })
})

describe('keyManagementRouter: failures', () => {
  it('answers 503 store_unavailable with Retry-After when the store fails, and 500 for the unexpected', async () => {
    const { id } = await createKey('Store down')
    store.failing = true
    const list = await call('GET', '/')
    expectProblem(list, 503, 'store_unavailable')
    expect(list.headers.get('retry-after')).toBe('1')
    expect(list.text).not.toContain('connection refused')
    expectProblem(await call('POST', `/${id}/disable`), 503, 'store_unavailable')
    store.failing = false

    const broken = new Proxy(keyward, {
      get(target, name) {
        if (name === 'list') return () => Promise.reject(new Error('secret internals'))
        const value = Reflect.get(target, name) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const app = express()
    app.use('/api/keys', keyManagementRouter(broken, { authorize: () => 'team-a', allowedOrigins: ['https://app.acme.test'], onError }))
    const started = await start(() => app)
    try {
      const response = await call('GET', '/', { base: started })
      expectProblem(response, 500, 'internal_error')
      expect(response.text).not.toContain('secret internals')
      expect(onError).toHaveBeenCalledTimes(1)
    } finally {
      await started.close()
    }
  })

  it('validates its options when built', () => {
    const ok = { authorize: () => 'o', allowedOrigins: ['https://app.acme.test'] }
    expect(() => keyManagementRouter({} as Keyward, ok)).toThrow(TypeError)
    expect(() => keyManagementRouter(keyward, { authorize: () => 'o' } as unknown as KeyManagementOptions)).toThrow(/allowedOrigins is required/)
    expect(() => keyManagementRouter(keyward, { ...ok, allowedOrigins: [] })).toThrow(/allowedOrigins is required/)
    expect(() => keyManagementRouter(keyward, { ...ok, allowedOrigins: ['https://a.test:443'] })).toThrow(/allowedOrigins/)
    expect(() => keyManagementRouter(keyward, { ...ok, allowedOrigins: ['null'] })).toThrow(/allowedOrigins/)
    expect(() => keyManagementRouter(keyward, { allowedOrigins: ['https://app.acme.test'] } as unknown as KeyManagementOptions)).toThrow(/authorize/)
    expect(() => keyManagementRouter(keyward, { ...ok, allowedOrigins: ['dashboard.acme.test'] })).toThrow(/allowedOrigins/)
    expect(() => keyManagementRouter(keyward, { ...ok, allowedOrigins: ['https://a.test/path'] })).toThrow(/allowedOrigins/)
    expect(() => keyManagementRouter(keyward, { ...ok, apiKeyHeaders: ['X-Api-Key'] })).toThrow(/apiKeyHeaders/)
    expect(() => keyManagementRouter(keyward, { ...ok, allowedScopes: ['Bad Scope'] })).toThrow(/allowedScopes/)
    expect(() => keyManagementRouter(keyward, { ...ok, maxBodyBytes: 1 })).toThrow(/maxBodyBytes/)
    expect(() => keyManagementRouter(keyward, { ...ok, authorise: () => 'o' } as KeyManagementOptions)).toThrow(/unknown option "authorise"/)
    expect(() => keyManagementRouter(keyward, { ...ok, allowedOrigins: ['https://a.test/', 'http://localhost:3000'] })).not.toThrow()
  })
})
