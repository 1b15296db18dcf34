/**
 * The HTTP behaviour every Keyward adapter must have (DESIGN.md §8), run against Express, Koa and
 * Fastify over real sockets. Each adapter's test calls `runHttpSuite(harness)`.
 *
 * Every expected refusal is written out here literally (status, every header, body bytes), and each
 * framework's response must equal it exactly: so the three adapters answer byte for byte the same.
 * Transport headers (`date`, `connection`, `keep-alive`, `transfer-encoding`) are left out of the
 * comparison; harnesses turn off app-level extras such as Express's `x-powered-by`.
 */
import { connect } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
// Types only, from the built core as the adapters see it. The runtime comes from the adapter test
// (`harness.core`), so this file resolves nothing from a package it does not belong to.
import type { HttpAuthOptions, Keyward, KeywardEvent, KeywardOptions, KeyStore } from '../packages/core/dist/index.js'

/** A server started by a harness. */
export interface HarnessServer {
  port: number
  close(): Promise<void>
}

/** What the suite observes from inside the app. */
export interface SuiteProbe {
  /** Handlers push their route here when they run. */
  handled: string[]
  /** Framework log lines (e.g. Fastify's logger stream) go here. */
  log(line: string): void
}

/**
 * How the app trusts forwarding proxies: `none` (the framework's default, `X-Forwarded-For`
 * ignored), `one-hop` (the documented setting behind one proxy: the suite's client, on loopback, is
 * that proxy; Express `trust proxy = 1`, Koa `proxy` with `maxIpsCount = 1`, Fastify
 * `trustProxy: '127.0.0.1'`), `every` (trusts every proxy: the setting the adapters warn about).
 */
export type ProxyTrust = 'none' | 'one-hop' | 'every'

/** Adapter-specific part of the suite. */
export interface AdapterHarness {
  name: 'express' | 'koa' | 'fastify'
  core: {
    createKeyward(options: KeywardOptions): Keyward<string>
    MemoryKeyStore: new () => KeyStore
  }
  /**
   * Start (on 127.0.0.1, port 0, `maxHeaderSize` 64 KiB) an app with:
   * - `GET /health`: no authentication, 200 `{"ok":true}`;
   * - `GET /v1/me`: the adapter's middleware with `options`, 200 `{"id":<key id or null>}`;
   * - `POST /v1/messages`: the middleware with `options` and `requireScopes('messages:send')`, 200 `{"sent":true}`;
   * - `POST /v1/workflows`: the middleware with `options` and `requireScopes('workflows:run', 'messages:send')`, 200 `{"run":true}`.
   * Handlers push `me` / `messages` / `workflows` / `health` to `probe.handled`. Rejects (TypeError)
   * when the middleware refuses `options`. `proxy` sets the framework's proxy trust (default `none`).
   */
  start(keyward: Keyward<string>, options: HttpAuthOptions<string, any>, probe: SuiteProbe, proxy?: ProxyTrust): Promise<HarnessServer>
}

// ── raw HTTP/1.1 client: sends exactly the bytes given, sees exactly the bytes answered ────────────

export interface RawResponse {
  status: number
  /** Header lines as received, names lowercased. */
  headers: [string, string][]
  body: string
  raw: string
}

/** Send one request with `headers` written verbatim (latin1), `Connection: close`, and read the whole answer. */
export function rawRequest(port: number, method: string, path: string, headers: [string, string][] = []): Promise<RawResponse> {
  const head =
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
    headers.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
    (method === 'POST' ? 'Content-Length: 0\r\n' : '') +
    '\r\n'
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect(port, '127.0.0.1')
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', () => {}) // a server that refuses a request may reset while we still write
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1')
      const end = raw.indexOf('\r\n\r\n')
      if (end < 0) return reject(new Error(`no HTTP response (got ${JSON.stringify(raw.slice(0, 200))})`))
      const [statusLine, ...lines] = raw.slice(0, end).split('\r\n')
      const parsed: [string, string][] = lines.map((line) => {
        const colon = line.indexOf(':')
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
      })
      let body = raw.slice(end + 4)
      const length = parsed.find(([name]) => name === 'content-length')
      if (length) body = body.slice(0, Number(length[1]))
      resolve({ status: Number(statusLine!.split(' ')[1]), headers: parsed, body: Buffer.from(body, 'latin1').toString('utf8'), raw })
    })
    socket.end(Buffer.from(head, 'latin1'))
  })
}

const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding'])

/** Headers without transport ones, as an object (a repeated header would show up as a failure). */
export function headerObject(response: RawResponse): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of response.headers) {
    if (TRANSPORT_HEADERS.has(name)) continue
    if (name in out) throw new Error(`header ${name} sent twice`)
    out[name] = value
  }
  return out
}

// ── a store that counts calls and can be made unreachable ───────────────────────────────────────

/**
 * Wraps a `KeyStore`, counting calls; `failing = true` makes every call reject. `calls` leaves out
 * `touch`, the batched last-used write that runs on a timer, off the request path.
 */
export class CountingStore implements KeyStore {
  calls = 0
  failing = false
  constructor(readonly inner: KeyStore) {}
  #hit(method?: 'touch'): void {
    if (method === undefined) this.calls++
    if (this.failing) throw new Error('connect ECONNREFUSED 127.0.0.1:5432')
  }
  async insert(...args: Parameters<KeyStore['insert']>) {
    this.#hit()
    return this.inner.insert(...args)
  }
  async findById(...args: Parameters<KeyStore['findById']>) {
    this.#hit()
    return this.inner.findById(...args)
  }
  async update(...args: Parameters<KeyStore['update']>) {
    this.#hit()
    return this.inner.update(...args)
  }
  async delete(...args: Parameters<KeyStore['delete']>) {
    this.#hit()
    return this.inner.delete(...args)
  }
  async list(...args: Parameters<KeyStore['list']>) {
    this.#hit()
    return this.inner.list(...args)
  }
  async touch(...args: Parameters<KeyStore['touch']>) {
    this.#hit('touch')
    return this.inner.touch(...args)
  }
  async incrementCounter(...args: Parameters<NonNullable<KeyStore['incrementCounter']>>) {
    this.#hit()
    return this.inner.incrementCounter!(...args)
  }
  async spendCredits(...args: Parameters<NonNullable<KeyStore['spendCredits']>>) {
    this.#hit()
    return this.inner.spendCredits!(...args)
  }
}

// ── the expected answers, written out ───────────────────────────────────────────────────────────

export const PEPPER = 'http-suite-pepper-0123456789-abcdefghijkl'

const DETAIL = {
  missing_credentials:
    'This request needs an API key: send it as "Authorization: Bearer <key>" or in the X-API-Key header.',
  invalid_request: 'The request carries more than one different API key. Send exactly one.',
  malformed_bearer:
    'The Bearer credential is empty or malformed: send "Authorization: Bearer <key>", the key alone, with no spaces or other characters inside it.',
  malformed_x_api_key: 'The x-api-key header is empty or malformed: send the key alone, with no spaces, control or non-ASCII characters.',
  malformed:
    'The API key is malformed or truncated: its checksum does not match. Copy the whole key again from where it was created.',
  invalid: 'The API key is not valid. Check that it was copied from this service and has not been deleted.',
  other_prefix: 'The API key was issued for another environment or service (it does not start with "acme_live_").',
  disabled: 'The API key is disabled. Enable it again or use another key.',
  expired: 'The API key has expired. Create or rotate a key to get a new one.',
  revoked: 'The API key was revoked and can no longer be used. Create a new key.',
  store_unavailable: 'The API key could not be checked because the key store is unavailable. Try again shortly.',
  rate_limited: 'Too many requests. Retry after the time given in the Retry-After header.',
  usage_exceeded: 'This API key has used all its credits. Retry after they are refilled.',
  credits_gone:
    'This API key has used all its credits, and they are not refilled: retrying will not help. Add credits to the key or use another one.',
}

interface Expected {
  status: number
  challenge: string
  body: Record<string, unknown>
  headers?: Record<string, string>
}

/** The response must be exactly this: status, every non-transport header, body bytes. */
function expectExactly(response: RawResponse, expected: Expected): void {
  const body = JSON.stringify(expected.body)
  expect({ status: response.status, headers: headerObject(response), body: response.body }).toEqual({
    status: expected.status,
    headers: {
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
      'www-authenticate': expected.challenge,
      'content-length': String(Buffer.byteLength(body)),
      ...expected.headers,
    },
    body,
  })
}

function unauthorized(code: keyof typeof DETAIL, key?: string, realm = 'api'): Expected {
  return {
    status: 401,
    challenge: `Bearer realm="${realm}", error="invalid_token"`,
    body: {
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      code: code === 'other_prefix' ? 'invalid' : code,
      detail: DETAIL[code],
      ...(key !== undefined && { key }),
    },
  }
}

function missing(realm = 'api'): Expected {
  return {
    status: 401,
    challenge: `Bearer realm="${realm}"`,
    body: { type: 'about:blank', title: 'Unauthorized', status: 401, code: 'missing_credentials', detail: DETAIL.missing_credentials },
  }
}

function badRequest(detail: keyof typeof DETAIL): Expected {
  return {
    status: 400,
    challenge: 'Bearer realm="api", error="invalid_request"',
    body: { type: 'about:blank', title: 'Bad Request', status: 400, code: 'invalid_request', detail: DETAIL[detail] },
  }
}

const CONFLICT = badRequest('invalid_request')

/** 403 naming `scopes`, every scope the key lacks. */
function forbidden(scopes: string | string[], key: string, realm = 'api'): Expected {
  const missing = typeof scopes === 'string' ? [scopes] : scopes
  return {
    status: 403,
    challenge: `Bearer realm="${realm}", error="insufficient_scope", scope="${missing.join(' ')}"`,
    body: {
      type: 'about:blank',
      title: 'Forbidden',
      status: 403,
      code: 'insufficient_scope',
      detail:
        missing.length === 1
          ? `The API key does not have the scope "${missing[0]}" that this request needs.`
          : `The API key does not have the scopes ${missing.map((scope) => `"${scope}"`).join(', ')} that this request needs.`,
      scope: missing.join(' '),
      missingScopes: missing,
      key,
    },
  }
}

/** `acme_live_8fK2…1b2C`, written out here rather than asked of core. */
function redacted(key: string): string {
  return `${key.slice(0, 'acme_live_'.length + 4)}…${key.slice(-4)}`
}

function json(response: RawResponse): unknown {
  return JSON.parse(response.body)
}

// ── the suite ───────────────────────────────────────────────────────────────────────────────────

export function runHttpSuite(harness: AdapterHarness): void {
  const { createKeyward, MemoryKeyStore } = harness.core

  describe(`${harness.name}: shared HTTP behaviour`, () => {
    let clock = Date.UTC(2026, 10, 28, 12)
    const store = new CountingStore(new MemoryKeyStore())
    const events: KeywardEvent[] = []
    const probe: SuiteProbe = { handled: [], log: (line) => logs.push(line) }
    const logs: string[] = []
    const seen: RawResponse[] = []
    const servers: HarnessServer[] = []
    const rejections: unknown[] = []
    const onRejection = (reason: unknown) => rejections.push(reason)
    const keyward = createKeyward({
      prefix: 'acme_live',
      store,
      pepper: PEPPER,
      now: () => clock,
      hooks: { onEvent: (event) => events.push(event) },
    })
    const keys: Record<'full' | 'plain' | 'disabled' | 'expiring' | 'revoked', string> = {} as never
    let foreignKey = '' // right shape and checksum, unknown here
    let otherPrefixKey = ''
    let port = 0

    async function serve(options: HttpAuthOptions<string, any> = {}, proxy?: ProxyTrust): Promise<number> {
      const server = await harness.start(keyward, options, probe, proxy)
      servers.push(server)
      return server.port
    }
    async function send(p: number, method: string, path: string, headers: [string, string][] = []): Promise<RawResponse> {
      const response = await rawRequest(p, method, path, headers)
      seen.push(response)
      return response
    }
    const get = (headers: [string, string][] = [], p = port) => send(p, 'GET', '/v1/me', headers)
    const bearer = (key: string): [string, string][] => [['Authorization', `Bearer ${key}`]]

    beforeAll(async () => {
      process.on('unhandledRejection', onRejection)
      for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
        vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logs.push(args.map(String).join(' ')))
      keys.full = (await keyward.create({ name: 'HubSpot CRM sync', scopes: ['messages:send', 'contacts:*'] })).key
      keys.plain = (await keyward.create({ name: 'Read only' })).key
      const disabled = await keyward.create({ name: 'Disabled' })
      keys.disabled = disabled.key
      await keyward.disable(disabled.info.id)
      keys.expiring = (await keyward.create({ name: 'Short-lived', expiresAt: clock + 60_000 })).key
      const revoked = await keyward.create({ name: 'Leaked' })
      keys.revoked = revoked.key
      await keyward.revoke(revoked.info.id)
      const elsewhere = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: PEPPER })
      foreignKey = (await elsewhere.create({ name: 'Elsewhere' })).key
      const test = createKeyward({ prefix: 'acme_test', store: new MemoryKeyStore(), pepper: PEPPER })
      otherPrefixKey = (await test.create({ name: 'Test env' })).key
      await Promise.all([elsewhere.close(), test.close()])
      port = await serve()
    })

    afterAll(async () => {
      process.off('unhandledRejection', onRejection)
      vi.restoreAllMocks()
      await Promise.all(servers.map((server) => server.close()))
      await keyward.close()
    })

    it('refuses a request without credentials: 401 with a Bearer challenge and a problem body', async () => {
      const before = probe.handled.length
      expectExactly(await get(), missing())
      // Another scheme is not ours: still "no credentials".
      expectExactly(await get([['Authorization', 'Basic dXNlcjpwYXNz']]), missing())
      expect(probe.handled.length).toBe(before)
      expect(json(await send(port, 'GET', '/health'))).toEqual({ ok: true })
    })

    it('lets a valid key through in either header and any scheme casing, and exposes its public view', async () => {
      const id = keys.full.split('_')[2]
      for (const headers of [
        bearer(keys.full),
        [['authorization', `bearer ${keys.full}`]],
        [['AUTHORIZATION', `BEARER \t${keys.full}  `]],
        [['X-API-Key', keys.full]],
        [['x-api-key', keys.full], ['Authorization', `Bearer ${keys.full}`]], // the same key twice is one credential
      ] as [string, string][][]) {
        const response = await get(headers)
        expect(response.status, JSON.stringify(headers[0]![0])).toBe(200)
        expect(json(response)).toEqual({ id })
      }
    })

    it('says why a key fails, echoing it only redacted', async () => {
      expectExactly(await get(bearer(keys.full.slice(0, -3))), unauthorized('malformed'))
      const typo = keys.full.slice(0, 30) + (keys.full[30] === 'a' ? 'b' : 'a') + keys.full.slice(31)
      expectExactly(await get(bearer(typo)), unauthorized('malformed', redacted(typo)))
      expectExactly(await get([['X-API-Key', 'sk_live_1234']]), unauthorized('malformed'))
      expectExactly(await get(bearer(foreignKey)), unauthorized('invalid', redacted(foreignKey)))
      // Another deployment's key is not echoed: the redacted form is only for this deployment's keys.
      expectExactly(await get(bearer(otherPrefixKey)), unauthorized('other_prefix'))
      expectExactly(await get(bearer(keys.disabled)), unauthorized('disabled', redacted(keys.disabled)))
      expectExactly(await get(bearer(keys.revoked)), unauthorized('revoked', redacted(keys.revoked)))
      expect((await get(bearer(keys.expiring))).status).toBe(200)
      clock += 61_000
      expectExactly(await get(bearer(keys.expiring)), unauthorized('expired', redacted(keys.expiring)))
    })

    it('refuses a credential malformed as a request with 400 invalid_request (RFC 6750 §3.1), before any store call', async () => {
      const before = store.calls
      for (const value of ['Bearer', 'Bearer ', 'bearer \t ', `Bearer ${keys.full} ${keys.full}`, `Bearer ${keys.full}!`, `Bearer ${keys.full.slice(0, 20)}\u00e9`])
        expectExactly(await get([['Authorization', value]]), badRequest('malformed_bearer'))
      for (const value of ['', `${keys.full.slice(0, 20)} ${keys.full.slice(20)}`, `${keys.full}\u00a0`])
        expectExactly(await get([['X-API-Key', value]]), badRequest('malformed_x_api_key'))
      // Next to a good key, a malformed credential still makes a bad request.
      expectExactly(await get([['X-API-Key', keys.full], ['Authorization', 'Bearer ']]), badRequest('malformed_bearer'))
      expect(store.calls).toBe(before)
      // A well-formed token that fails the checksum stays a 401 invalid_token.
      expectExactly(await get(bearer('sk_live_1234')), unauthorized('malformed'))
    })

    it('refuses two different credentials with 400 invalid_request, before any store call', async () => {
      const before = store.calls
      expectExactly(await get([...bearer(keys.full), ['X-API-Key', keys.plain]]), CONFLICT)
      // A repeated Authorization header: Node keeps only one in req.headers, rawHeaders has both.
      expectExactly(await get([...bearer(keys.full), ...bearer(keys.plain)]), CONFLICT)
      expectExactly(await get([['X-API-Key', keys.full], ['X-API-Key', 'garbage']]), CONFLICT)
      expect(store.calls).toBe(before)
    })

    it('answers 403 insufficient_scope with the scope needed, from requireScopes and from the scopes option', async () => {
      const ok = await send(port, 'POST', '/v1/messages', bearer(keys.full))
      expect([ok.status, json(ok)]).toEqual([200, { sent: true }])
      const before = probe.handled.filter((route) => route === 'messages').length
      expectExactly(await send(port, 'POST', '/v1/messages', bearer(keys.plain)), forbidden('messages:send', redacted(keys.plain)))
      expect(probe.handled.filter((route) => route === 'messages').length).toBe(before)
      // requireScopes without a verified key: 401, fail closed.
      expectExactly(await send(port, 'POST', '/v1/messages'), missing())

      const scoped = await serve({ scopes: ['contacts:sync'], realm: 'acme' })
      expect((await get(bearer(keys.full), scoped)).status).toBe(200) // contacts:* grants contacts:sync
      expectExactly(await get(bearer(keys.plain), scoped), forbidden('contacts:sync', redacted(keys.plain), 'acme'))
      expectExactly(await get([], scoped), missing('acme'))
      expectExactly(await send(scoped, 'POST', '/v1/messages', bearer(keys.plain)), forbidden('contacts:sync', redacted(keys.plain), 'acme'))
    })

    it('names every missing scope in a 403: scope="a b" and the body, from requireScopes and from the scopes option', async () => {
      // requireScopes('workflows:run', 'messages:send'): the full key has only the second.
      expectExactly(await send(port, 'POST', '/v1/workflows', bearer(keys.plain)), forbidden(['workflows:run', 'messages:send'], redacted(keys.plain)))
      expectExactly(await send(port, 'POST', '/v1/workflows', bearer(keys.full)), forbidden('workflows:run', redacted(keys.full)))
      const scoped = await serve({ scopes: ['contacts:sync', 'workflows:run', 'messages:send'] })
      expectExactly(await get(bearer(keys.plain), scoped), forbidden(['contacts:sync', 'workflows:run', 'messages:send'], redacted(keys.plain)))
      expectExactly(await get(bearer(keys.full), scoped), forbidden('workflows:run', redacted(keys.full)))
    })

    it('fails closed with 503 and Retry-After when the store is unreachable; the handler never runs', async () => {
      const { key } = await keyward.create({ name: 'Never verified' })
      const before = probe.handled.length
      store.failing = true
      try {
        expectExactly(await get(bearer(key)), {
          status: 503,
          challenge: 'Bearer realm="api"',
          headers: { 'retry-after': '1' },
          body: { type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'store_unavailable', detail: DETAIL.store_unavailable },
        })
        expect((await send(port, 'POST', '/v1/messages', bearer(key))).status).toBe(503)
      } finally {
        store.failing = false
      }
      expect(probe.handled.length).toBe(before)
      expect((await get(bearer(key))).status).toBe(200)
    })

    it('answers 429 with Retry-After and RateLimit headers past a key\'s rate limit, and reports the window on success', async () => {
      const { key } = await keyward.create({ name: 'Limited', rateLimit: { limit: 2, windowMs: 60_000 } })
      const first = await get(bearer(key))
      // On success the reset is measured on the wall clock (this suite's keyward runs on a fake one).
      expect([first.status, headerObject(first)['ratelimit-policy'], headerObject(first)['ratelimit']]).toEqual([
        200,
        '"key";q=2;w=60',
        expect.stringMatching(/^"key";r=1;t=\d+$/),
      ])
      expect((await get(bearer(key))).status).toBe(200)
      const retry = String(Math.ceil((60_000 - (clock % 60_000)) / 1000))
      expectExactly(await get(bearer(key)), {
        status: 429,
        challenge: 'Bearer realm="api"',
        headers: { 'retry-after': retry, 'ratelimit-policy': '"key";q=2;w=60', ratelimit: `"key";r=0;t=${retry}` },
        body: { type: 'about:blank', title: 'Too Many Requests', status: 429, code: 'rate_limited', detail: DETAIL.rate_limited, key: redacted(key) },
      })
    })

    it('answers 429 without Retry-After when credits never refill, and until the next refill when they do', async () => {
      const { key: once } = await keyward.create({ name: 'One credit', credits: { remaining: 1 } })
      expect((await get(bearer(once))).status).toBe(200)
      expectExactly(await get(bearer(once)), {
        status: 429,
        challenge: 'Bearer realm="api"',
        body: { type: 'about:blank', title: 'Too Many Requests', status: 429, code: 'usage_exceeded', detail: DETAIL.credits_gone, creditsRemaining: 0, key: redacted(once) },
      })
      const { key: daily } = await keyward.create({ name: 'Daily', credits: { remaining: 1, refill: { amount: 1, intervalMs: 86_400_000 } } })
      expect((await get(bearer(daily))).status).toBe(200)
      clock += 3_600_000
      expectExactly(await get(bearer(daily)), {
        status: 429,
        challenge: 'Bearer realm="api"',
        headers: { 'retry-after': String(23 * 3600) },
        body: { type: 'about:blank', title: 'Too Many Requests', status: 429, code: 'usage_exceeded', detail: DETAIL.usage_exceeded, creditsRemaining: 0, key: redacted(daily) },
      })
    })

    it('answers 429 with Retry-After to a client past its failed-attempt limit, before any store call', async () => {
      const counting = new CountingStore(new MemoryKeyStore())
      const throttled = createKeyward({
        prefix: 'acme_live',
        store: counting,
        pepper: PEPPER,
        now: () => clock,
        throttle: { perSource: { limit: 3, windowMs: 3_600_000 } },
      })
      const valid = (await throttled.create({ name: 'Valid' })).key
      const server = await harness.start(throttled, {}, probe)
      servers.push(server)
      for (let i = 0; i < 3; i++) expect((await get(bearer(foreignKey), server.port)).status).toBe(401)
      const calls = counting.calls
      const retry = String(Math.ceil((3_600_000 - (clock % 3_600_000)) / 1000))
      for (const key of [valid, foreignKey])
        expectExactly(await get(bearer(key), server.port), {
          status: 429,
          challenge: 'Bearer realm="api"',
          headers: { 'retry-after': retry },
          body: { type: 'about:blank', title: 'Too Many Requests', status: 429, code: 'rate_limited', detail: DETAIL.rate_limited, key: redacted(key) },
        })
      expect(counting.calls).toBe(calls) // refused before any lookup, digest or counter
      await throttled.close()
    })

    describe('behind a proxy', () => {
      const attacker = '203.0.113.66'
      const victim = '198.51.100.20'
      /** What one trusted proxy sends on: whatever the client wrote, then the address it saw. */
      const via = (client: string, written?: string): [string, string][] => [['X-Forwarded-For', written === undefined ? client : `${written}, ${client}`]]
      let failedSources: (string | undefined)[] = []
      let throttledPort = 0
      let valid = ''

      beforeAll(async () => {
        const throttled = createKeyward({
          prefix: 'acme_live',
          store: new MemoryKeyStore(),
          pepper: PEPPER,
          now: () => clock,
          throttle: { perSource: { limit: 3, windowMs: 3_600_000 } },
          hooks: { onEvent: (event) => void (event.type === 'key.verify_failed' && failedSources.push(event.source)) },
        })
        valid = (await throttled.create({ name: 'Victim integration' })).key
        const server = await harness.start(throttled, {}, probe, 'one-hop')
        servers.push(server, { port: 0, close: () => throttled.close() })
        throttledPort = server.port
      })

      it('one trusted hop: a client is throttled under the address the proxy saw, whatever X-Forwarded-For it writes', async () => {
        failedSources = []
        // Every guess claims another address, the victim's among them: all count against the attacker.
        for (const claimed of ['192.0.2.1', victim, '192.0.2.3'])
          expectExactly(await get([...bearer(foreignKey), ...via(attacker, claimed)], throttledPort), unauthorized('invalid', redacted(foreignKey)))
        for (const claimed of ['192.0.2.4', victim, '10.0.0.1, 192.0.2.5'])
          expect((await get([...bearer(valid), ...via(attacker, claimed)], throttledPort)).status).toBe(429)
        // The address the attacker named is not locked out, valid key or not.
        expect((await get([...bearer(valid), ...via(victim)], throttledPort)).status).toBe(200)
        expect((await get([...bearer(foreignKey), ...via(victim)], throttledPort)).status).toBe(401)
        expect(new Set(failedSources)).toEqual(new Set([attacker, victim]))
      })

      it('one trusted hop: an IPv6 client is throttled by its /64, an IPv4-mapped one as its IPv4 address', async () => {
        const guess = (client: string) => get([...bearer(foreignKey), ...via(client, '192.0.2.9')], throttledPort).then((r) => r.status)
        expect([await guess('2001:db8:7:7::1'), await guess('2001:db8:7:7:ffff::2'), await guess('2001:DB8:7:7::3')]).toEqual([401, 401, 401])
        expect(await guess('2001:db8:7:7:1234::4')).toBe(429)
        expect(await guess('2001:db8:7:8::1')).toBe(401)
        expect([await guess('::ffff:203.0.113.70'), await guess('203.0.113.70'), await guess('::ffff:203.0.113.70')]).toEqual([401, 401, 401])
        expect(await guess('203.0.113.70')).toBe(429)
      })

      it('warns once per app, with console.warn, when the framework trusts every proxy', async () => {
        const warnings = () => logs.filter((line) => line.startsWith('[keyward]') && line.includes('X-Forwarded-For'))
        const before = warnings().length
        const oneHop = await serve({}, 'one-hop')
        for (const p of [oneHop, port]) expect((await get(bearer(keys.plain), p)).status).toBe(200)
        expect(warnings()).toHaveLength(before)
        for (let app = 0; app < 2; app++) {
          const every = await serve({}, 'every')
          for (let i = 0; i < 3; i++) expect((await get([...bearer(keys.plain), ...via('127.0.0.1', '192.0.2.1')], every)).status).toBe(200)
          expect(warnings()).toHaveLength(before + app + 1)
        }
        expect(warnings().at(-1)).toMatch(/throttl/)
      })
    })

    it('optional: lets anonymous requests through and still verifies a presented key', async () => {
      const optional = await serve({ optional: true })
      expect(json(await get([], optional))).toEqual({ id: null })
      expect(json(await get(bearer(keys.plain), optional))).toEqual({ id: keys.plain.split('_')[2] })
      expectExactly(await get(bearer(keys.revoked), optional), unauthorized('revoked', redacted(keys.revoked)))
      expectExactly(await send(optional, 'POST', '/v1/messages'), missing())
    })

    it('reads only the configured headers', async () => {
      const onlyApiKey = await serve({ headers: ['x-api-key'] })
      expectExactly(await get(bearer(keys.full), onlyApiKey), missing())
      expect((await get([['X-Api-Key', keys.full]], onlyApiKey)).status).toBe(200)
      const custom = await serve({ headers: ['x-acme-token'] })
      expect((await get([['X-Acme-Token', keys.full]], custom)).status).toBe(200)
    })

    it('onFailure can replace a refusal, sees the framework request, and cannot open the door', async () => {
      const requests: unknown[] = []
      const hooked = await serve({
        onFailure: (response, request) => {
          requests.push(request)
          if (response.body.code === 'revoked')
            return { ...response, status: 410, body: { ...response.body, status: 410, detail: 'Gone. See https://acme.dev/keys' } }
          return undefined
        },
      })
      const gone = await get(bearer(keys.revoked), hooked)
      expect([gone.status, (json(gone) as { detail: string }).detail]).toEqual([410, 'Gone. See https://acme.dev/keys'])
      expectExactly(await get(bearer(keys.disabled), hooked), unauthorized('disabled', redacted(keys.disabled)))
      expectExactly(await send(hooked, 'POST', '/v1/messages', bearer(keys.plain)), forbidden('messages:send', redacted(keys.plain)))
      expect(requests).toHaveLength(3)
      expect(requests.every((request) => request !== null && typeof request === 'object')).toBe(true)
    })

    it('throws a TypeError for invalid options when the middleware is built', async () => {
      const invalid: unknown[] = [
        { scope: ['messages:send'] }, // misspelt: must not silently guard nothing
        { headers: ['Authorization'] },
        { headers: [] },
        { optional: 'yes' },
        { scopes: ['Messages Send'] },
        { scopes: 'messages:send' },
        { realm: 'a"b' },
        { onFailure: 'log' },
      ]
      for (const options of invalid)
        await expect(harness.start(keyward, options as HttpAuthOptions, probe), JSON.stringify(options)).rejects.toThrow(TypeError)
      await expect(harness.start({} as Keyward, {}, probe)).rejects.toThrow(TypeError)
    })

    it('survives 2,000 arbitrary header values: only 400/401, no store call for what cannot be a key', async () => {
      const near = fc.constantFrom(keys.full, keys.plain).chain((key) =>
        fc.oneof(
          fc.nat({ max: key.length - 1 }).map((n) => key.slice(0, n)),
          fc.tuple(fc.nat({ max: key.length - 1 }), fc.constantFrom('0', 'Z', '_', '-', 'é', ' ')).map(([i, c]) => key.slice(0, i) + c + key.slice(i + 1)),
          fc.string({ maxLength: 8 }).map((s) => key + s),
        ).filter((candidate) => candidate.trim() !== key), // a real key is not a fuzz case
      )
      const anyChars = fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 80 })
      const huge = fc.tuple(fc.constantFrom('a', 'Z9_', ' ', '\t', 'é'), fc.integer({ min: 8_000, max: 16_384 })).map(([unit, n]) =>
        unit.repeat(Math.ceil(n / unit.length)).slice(0, n),
      )
      const scheme = fc.constantFrom('Bearer ', 'bearer ', 'BEARER ', 'BeArEr\t', 'Bearer', 'Basic ', 'Token ', 'Bearer  Bearer ', '', ' ')
      const value = fc.oneof(
        fc.tuple(scheme, fc.oneof(near, anyChars, fc.string())).map(([s, v]) => s + v),
        anyChars,
        huge,
        fc.tuple(scheme, huge).map(([s, v]) => s + v),
      )
      const name = fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION', 'X-API-Key', 'x-api-key', 'X-Api-KEY')
      let runs = 0
      const statuses = new Set<number>()
      await fc.assert(
        fc.asyncProperty(name, value, async (headerName, headerValue) => {
          runs++
          const before = store.calls
          const response = await rawRequest(port, 'GET', '/v1/me', [[headerName, headerValue]])
          statuses.add(response.status)
          expect([400, 401]).toContain(response.status)
          if (!keyward.pattern.test(headerValue)) expect(store.calls).toBe(before)
          expect(response.body).not.toContain(keys.full)
        }),
        { numRuns: 2_000 },
      )
      expect(runs).toBeGreaterThanOrEqual(2_000)
      expect(statuses.has(401)).toBe(true)
      expect(rejections).toEqual([])
    }, 120_000)

    it('never puts a key, digest, pepper or stack trace in a response, a log line or an event', async () => {
      const secrets = [...Object.values(keys), foreignKey, otherPrefixKey, PEPPER]
      for (const key of Object.values(keys)) {
        const record = await store.inner.findById(key.split('_')[2]!)
        secrets.push(record!.digest)
      }
      expect(seen.length).toBeGreaterThan(30)
      const texts = [...seen.map((response) => response.raw), ...logs, ...events.map((event) => JSON.stringify(event))]
      for (const text of texts) {
        for (const secret of secrets) expect(text.includes(secret), 'a secret leaked').toBe(false)
        expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/)
        expect(text).not.toContain('ECONNREFUSED')
      }
      expect(rejections).toEqual([])
    })
  })
}
