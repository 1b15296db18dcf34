import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  authenticateRequest,
  extractCredential,
  rateLimitHeaders,
  requireScopesResponse,
  resolveHttpAuthOptions,
  verifyFailureResponse,
} from '../src/http.js'
import { createKeyward, MemoryKeyStore, type Keyward } from '../src/index.js'
import { failure } from '../src/verify-result.js'
import { CountingStore, PEPPER } from './helpers.js'

const DEFAULT = ['authorization', 'x-api-key']
const open: Keyward[] = []
afterEach(async () => {
  for (const keyward of open.splice(0)) await keyward.close()
})

describe('extractCredential', () => {
  it('reads Bearer and X-API-Key, any header-name casing, ignores other schemes', () => {
    expect(extractCredential(['AUTHORIZATION', 'bEaReR  k1 '], DEFAULT)).toEqual({ kind: 'key', key: 'k1' })
    expect(extractCredential(['X-Api-Key', ' k2'], DEFAULT)).toEqual({ kind: 'key', key: 'k2' })
    expect(extractCredential(['Authorization', 'Basic abc'], DEFAULT)).toEqual({ kind: 'none' })
    expect(extractCredential(['Authorization', 'Bearerk1'], DEFAULT)).toEqual({ kind: 'none' })
    expect(extractCredential(['Authorization', 'Bearer'], DEFAULT)).toEqual({ kind: 'key', key: '' })
    expect(extractCredential(['Host', 'x', 'Cookie', 'k'], DEFAULT)).toEqual({ kind: 'none' })
    expect(extractCredential(['Authorization', 'Bearer k1'], ['x-api-key'])).toEqual({ kind: 'none' })
  })

  it('treats the same key twice as one, two different keys as a conflict', () => {
    expect(extractCredential(['Authorization', 'Bearer k', 'x-api-key', 'k'], DEFAULT)).toEqual({ kind: 'key', key: 'k' })
    expect(extractCredential(['Authorization', 'Bearer a', 'Authorization', 'Bearer b'], DEFAULT)).toEqual({ kind: 'conflict' })
    expect(extractCredential(['x-api-key', 'a', 'authorization', 'Basic z', 'X-API-KEY', 'b'], DEFAULT)).toEqual({ kind: 'conflict' })
  })

  it('never throws on arbitrary raw headers', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 300 }), { maxLength: 12 }), (raw) => {
        expect(['none', 'key', 'conflict']).toContain(extractCredential(raw, DEFAULT).kind)
      }),
      { numRuns: 2_000 },
    )
  })
})

describe('resolveHttpAuthOptions', () => {
  it('fills defaults and rejects what is wrong, naming it', () => {
    expect(resolveHttpAuthOptions()).toMatchObject({ headers: DEFAULT, optional: false, scopes: [], realm: 'api', onFailure: undefined })
    expect(() => resolveHttpAuthOptions({ scope: ['a'] } as never)).toThrow(/unknown option "scope"/)
    expect(() => resolveHttpAuthOptions({ headers: ['X-Api-Key'] })).toThrow(TypeError)
    expect(() => resolveHttpAuthOptions({ scopes: ['ok', 'Not OK'] })).toThrow(/"Not OK"/)
    expect(() => resolveHttpAuthOptions({ realm: 'a\\b' })).toThrow(TypeError)
    expect(() => resolveHttpAuthOptions(null as never)).toThrow(TypeError)
  })

  it('makes onFailure safe: a non-response return keeps the original refusal', async () => {
    const original = verifyFailureResponse(failure('invalid'), 'api')
    const config = resolveHttpAuthOptions({ onFailure: () => 'nope' as never })
    expect(await config.onFailure!(original, {})).toBe(original)
    const replaced = { ...original, status: 418 }
    expect(await resolveHttpAuthOptions({ onFailure: async () => replaced }).onFailure!(original, {})).toBe(replaced)
  })
})

describe('responses', () => {
  it('maps every failure code to its status and challenge', () => {
    const cases = [
      ['malformed', 401, 'Bearer realm="r", error="invalid_token"'],
      ['invalid', 401, 'Bearer realm="r", error="invalid_token"'],
      ['disabled', 401, 'Bearer realm="r", error="invalid_token"'],
      ['expired', 401, 'Bearer realm="r", error="invalid_token"'],
      ['revoked', 401, 'Bearer realm="r", error="invalid_token"'],
      ['rate_limited', 429, 'Bearer realm="r"'],
      ['usage_exceeded', 429, 'Bearer realm="r"'],
      ['store_unavailable', 503, 'Bearer realm="r"'],
    ] as const
    for (const [code, status, challenge] of cases) {
      const response = verifyFailureResponse(failure(code, { retryAfterMs: 2_500 }), 'r', 'acme_live_abcd…wxyz')
      expect([response.status, response.headers['www-authenticate'], response.body.code]).toEqual([status, challenge, code])
      if (status !== 401) expect(response.headers['retry-after']).toBe('3')
      // A store failure never echoes anything about the key.
      expect('key' in response.body).toBe(code !== 'store_unavailable')
    }
  })

  it('puts RateLimit headers on a 429 from the key window', () => {
    const state = { limit: 10, windowMs: 60_000, remaining: 0, resetAt: 1_000_000, resetInMs: 12_001 }
    expect(rateLimitHeaders(state, 12_001)).toEqual({ 'ratelimit-policy': '"key";q=10;w=60', ratelimit: '"key";r=0;t=13' })
    const response = verifyFailureResponse(failure('rate_limited', { retryAfterMs: 12_001, rateLimit: state }), 'api')
    expect(response.headers).toMatchObject({ 'retry-after': '13', ratelimit: '"key";r=0;t=13' })
  })

  it('requireScopesResponse: 401 without a key, 403 naming the first missing scope, null when covered', () => {
    const key = { scopes: ['contacts:*'], redacted: 'acme_live_abcd…wxyz' } as never
    expect(requireScopesResponse(null, ['contacts:sync'], 'api')?.status).toBe(401)
    expect(requireScopesResponse(key, ['contacts:sync'], 'api')).toBeNull()
    const refusal = requireScopesResponse(key, ['contacts:sync', 'messages:send'], 'api')!
    expect([refusal.status, refusal.body.scope, refusal.headers['www-authenticate']]).toEqual([
      403,
      'messages:send',
      'Bearer realm="api", error="insufficient_scope", scope="messages:send"',
    ])
  })
})

describe('authenticateRequest', () => {
  it('verifies, passes scopes and source, and never calls the store for what cannot be a key', async () => {
    const store = new CountingStore()
    const keyward = createKeyward({ prefix: 'acme_live', store, pepper: PEPPER, throttle: { perSource: { limit: 2, windowMs: 60_000 } } })
    open.push(keyward)
    const { key, info } = await keyward.create({ name: 'CRM', scopes: ['contacts:sync'] })
    const config = resolveHttpAuthOptions({ scopes: ['contacts:sync'] })
    expect(await authenticateRequest(keyward, ['x-api-key', key], config)).toEqual({ ok: true, key: expect.objectContaining({ id: info.id }) })
    const denied = await authenticateRequest(keyward, ['x-api-key', key], resolveHttpAuthOptions({ scopes: ['messages:send'] }))
    expect(denied.ok === false && denied.response.status).toBe(403)

    store.calls = {}
    for (const junk of ['', 'Bearer', 'acme_live_', key.slice(0, -1), key + 'x', 'x'.repeat(20_000)]) {
      const result = await authenticateRequest(keyward, ['authorization', `Bearer ${junk}`], config)
      expect(result.ok === false && result.response.status).toBe(401)
    }
    expect(store.calls).toEqual({})

    // Failed guesses from one source are throttled: the source reaches the limiter.
    const other = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: PEPPER })
    open.push(other)
    const foreign = (await other.create({ name: 'Elsewhere' })).key
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      const result = await authenticateRequest(keyward, ['x-api-key', foreign], config, '203.0.113.7')
      statuses.push(result.ok ? 200 : result.response.status)
    }
    expect(statuses).toEqual([401, 401, 429, 429])
    const fromElsewhere = await authenticateRequest(keyward, ['x-api-key', foreign], config, '198.51.100.1')
    expect(fromElsewhere.ok === false && fromElsewhere.response.status).toBe(401)
  })

  it('optional: anonymous passes with a null key; a bad key is still refused', async () => {
    const keyward = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore() })
    open.push(keyward)
    const config = resolveHttpAuthOptions({ optional: true })
    expect(await authenticateRequest(keyward, [], config)).toEqual({ ok: true, key: null })
    const bad = await authenticateRequest(keyward, ['x-api-key', 'nope'], config)
    expect(bad.ok === false && bad.response.body.code).toBe('malformed')
  })
})
