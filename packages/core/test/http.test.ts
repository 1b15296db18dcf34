import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  authenticateRequest,
  extractCredential,
  rateLimitHeaders,
  requireScopesResponse,
  resolveHttpAuthOptions,
  throttlingSource,
  verifyFailureResponse,
} from '../src/http/index.js'
import { createKeyward, type Keyward, MemoryKeyStore } from '../src/index.js'
import { failure } from '../src/verify-result.js'
import { CountingStore, PEPPER } from './helpers.js'
import { anyAddress, oracleValue, v4Text } from './ip-oracle.js'

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
    expect(extractCredential(['Authorization', 'Bearer\tab+/~.-_9=='], DEFAULT)).toEqual({ kind: 'key', key: 'ab+/~.-_9==' })
    expect(extractCredential(['Host', 'x', 'Cookie', 'k'], DEFAULT)).toEqual({ kind: 'none' })
    expect(extractCredential(['Authorization', 'Bearer k1'], ['x-api-key'])).toEqual({ kind: 'none' })
  })

  it('treats the same key twice as one, two different keys as a conflict', () => {
    expect(extractCredential(['Authorization', 'Bearer k', 'x-api-key', 'k'], DEFAULT)).toEqual({ kind: 'key', key: 'k' })
    expect(extractCredential(['Authorization', 'Bearer a', 'Authorization', 'Bearer b'], DEFAULT)).toEqual({ kind: 'conflict' })
    expect(extractCredential(['x-api-key', 'a', 'authorization', 'Basic z', 'X-API-KEY', 'b'], DEFAULT)).toEqual({ kind: 'conflict' })
  })

  it('finds a credential malformed as a request: empty Bearer, characters outside token68, spaces in X-API-Key', () => {
    const bearer = { kind: 'malformed', header: 'authorization' }
    const apiKey = { kind: 'malformed', header: 'x-api-key' }
    for (const value of [
      'Bearer',
      'Bearer ',
      'bearer \t ',
      'Bearer a b',
      'Bearer  Bearer k',
      'Bearer k=x',
      'Bearer k!',
      'Bearer k\u00e9',
      'Bearer k\u00a0',
      'Bearer k,k',
    ])
      expect(extractCredential(['Authorization', value], DEFAULT), JSON.stringify(value)).toEqual(bearer)
    for (const value of ['', ' ', 'a b', 'k\u0000', 'k\u007f', 'k\u00e9', 'k\u00a0'])
      expect(extractCredential(['X-API-Key', value], DEFAULT), JSON.stringify(value)).toEqual(apiKey)
    // Characters a key never has, but a header may carry: a bad key (401 later), not a bad request.
    expect(extractCredential(['X-API-Key', 'sk_live_1234!'], DEFAULT)).toEqual({ kind: 'key', key: 'sk_live_1234!' })
    // The first problem decides; a malformed credential next to a good one is still a bad request.
    expect(extractCredential(['x-api-key', 'k', 'authorization', 'Bearer '], DEFAULT)).toEqual(bearer)
    expect(extractCredential(['x-api-key', 'a', 'x-api-key', 'b', 'authorization', 'Bearer '], DEFAULT)).toEqual({ kind: 'conflict' })
  })

  it('never throws on arbitrary raw headers', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 300 }), { maxLength: 12 }), (raw) => {
        expect(['none', 'key', 'conflict', 'malformed']).toContain(extractCredential(raw, DEFAULT).kind)
      }),
      { numRuns: 2_000 },
    )
  })
})

describe('throttlingSource', () => {
  it('keeps IPv4, maps IPv4-mapped IPv6 to IPv4, groups IPv6 by /64, bounds anything else', () => {
    const cases: [string, string][] = [
      ['203.0.113.7', '203.0.113.7'],
      ['203.0.113.007', '203.0.113.7'],
      ['::ffff:203.0.113.7', '203.0.113.7'],
      ['::FFFF:cb00:7107', '203.0.113.7'],
      ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
      ['2001:0DB8:0001:0002::ff', '2001:db8:1:2::/64'],
      ['2001:db8::1', '2001:db8:0:0::/64'],
      ['fe80::1%eth0', 'fe80:0:0:0::/64'],
      ['::1', '0:0:0:0::/64'],
      ['::', '0:0:0:0::/64'],
      ['64:ff9b::203.0.113.7', '64:ff9b:0:0::/64'],
      ['256.1.1.1', '256.1.1.1'],
      ['1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8:9'],
      ['1::2::3', '1::2::3'],
      ['unknown', 'unknown'],
    ]
    for (const [address, source] of cases) expect(throttlingSource(address), address).toBe(source)
    expect(throttlingSource('x'.repeat(5_000))).toHaveLength(100)
  })

  it('never throws, and maps every IPv6 form of one /64 to one source', () => {
    const hextet = fc.integer({ min: 0, max: 0xffff })
    fc.assert(
      fc.property(fc.array(hextet, { minLength: 8, maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 60 }), (groups, junk) => {
        throttlingSource(junk)
        const full = groups.map((g) => g.toString(16)).join(':')
        const padded = groups.map((g) => g.toString(16).padStart(4, '0').toUpperCase()).join(':')
        const expected =
          groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff
            ? [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join('.')
            : `${groups
                .slice(0, 4)
                .map((g) => g.toString(16))
                .join(':')}::/64`
        expect([throttlingSource(full), throttlingSource(padded)]).toEqual([expected, expected])
      }),
      { numRuns: 2_000 },
    )
  })

  it('agrees with ipaddr.js: an IPv4 (or IPv4-mapped) address as a dotted quad, any other IPv6 address as its /64', () => {
    const group = (value: bigint, k: number) => ((value >> BigInt(112 - 16 * k)) & 0xffffn).toString(16)
    fc.assert(
      fc.property(anyAddress, (text) => {
        const value = oracleValue(text)
        const expected =
          value >> 32n === 0xffffn ? v4Text(Number(value & 0xffffffffn)) : `${[0, 1, 2, 3].map((k) => group(value, k)).join(':')}::/64`
        expect(throttlingSource(text), text).toBe(expected)
      }),
      { numRuns: 2_000 },
    )
  })
})

describe('resolveHttpAuthOptions', () => {
  it('fills defaults and rejects what is wrong, naming it', () => {
    expect(resolveHttpAuthOptions()).toMatchObject({
      headers: DEFAULT,
      optional: false,
      scopes: { mode: 'all', scopes: [] },
      realm: 'api',
      onFailure: undefined,
    })
    expect(resolveHttpAuthOptions({ scopes: { anyOf: ['a:b', 'c'] } }).scopes).toEqual({ mode: 'any', scopes: ['a:b', 'c'] })
    for (const scopes of [{ anyOf: [] }, { oneOf: ['a'] }, { anyOf: ['a'], allOf: ['b'] }, new Set(['a']), null, 'a'])
      expect(() => resolveHttpAuthOptions({ scopes } as never), JSON.stringify(scopes)).toThrow(TypeError)
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
    expect(rateLimitHeaders(state)).toEqual({ 'ratelimit-policy': '"default";q=10;w=60', ratelimit: '"default";r=0;t=13' })
    const response = verifyFailureResponse(failure('rate_limited', { retryAfterMs: 12_001, rateLimit: state }), 'api')
    expect(response.headers).toMatchObject({ 'retry-after': '13', ratelimit: '"default";r=0;t=13' })
  })

  it('lists every named policy in RateLimit-Policy and RateLimit; the refusing one resets at Retry-After', () => {
    const states = [
      { policy: 'default', limit: 100, windowMs: 60_000, remaining: 99, resetAt: 0, resetInMs: 29_500 },
      { policy: 'tokens', limit: 10_000, windowMs: 60_000, remaining: 9_850, resetAt: 0, resetInMs: 29_500 },
      { policy: 'owner.default', limit: 1_000, windowMs: 3_600_000, remaining: 0, resetAt: 0, resetInMs: 1_800_000 },
    ]
    expect(rateLimitHeaders(states)).toEqual({
      'ratelimit-policy': '"default";q=100;w=60, "tokens";q=10000;w=60, "owner.default";q=1000;w=3600',
      ratelimit: '"default";r=99;t=30, "tokens";r=9850;t=30, "owner.default";r=0;t=1800',
    })
    const refused = { ...states[2]! }
    const response = verifyFailureResponse(
      failure('rate_limited', { retryAfterMs: 1_200_000, rateLimit: refused, rateLimits: [states[0]!, states[1]!, refused] }),
      'api',
    )
    expect(response.headers).toMatchObject({
      'retry-after': '1200',
      ratelimit: '"default";r=99;t=30, "tokens";r=9850;t=30, "owner.default";r=0;t=1200',
    })
    expect(rateLimitHeaders({ ...states[0]!, policy: 'a"b\\c' })['ratelimit-policy']).toBe('"a\\"b\\\\c";q=100;w=60')
  })

  it('ip_not_allowed is a 403 with a realm-only challenge; not_yet_valid a 401 invalid_token', () => {
    const ip = verifyFailureResponse(failure('ip_not_allowed'), 'api', 'acme_live_abcd…wxyz')
    expect([ip.status, ip.headers['www-authenticate'], ip.body.code, ip.body.key]).toEqual([
      403,
      'Bearer realm="api"',
      'ip_not_allowed',
      'acme_live_abcd…wxyz',
    ])
    const early = verifyFailureResponse(failure('not_yet_valid'), 'api')
    expect([early.status, early.headers['www-authenticate'], early.body.code]).toEqual([
      401,
      'Bearer realm="api", error="invalid_token"',
      'not_yet_valid',
    ])
  })

  it('requireScopesResponse: 401 without a key, 403 naming every missing scope, null when covered', () => {
    const key = { scopes: ['contacts:*'], effectiveScopes: ['contacts:*'], redacted: 'acme_live_abcd…wxyz' } as never
    expect(requireScopesResponse(null, ['contacts:sync'], 'api')?.status).toBe(401)
    expect(requireScopesResponse(key, ['contacts:sync'], 'api')).toBeNull()
    const refusal = requireScopesResponse(key, ['messages:send', 'contacts:sync', 'workflows:run'], 'api')!
    expect([refusal.status, refusal.headers['www-authenticate'], refusal.body]).toEqual([
      403,
      'Bearer realm="api", error="insufficient_scope", scope="messages:send workflows:run"',
      {
        type: 'about:blank',
        title: 'Forbidden',
        status: 403,
        code: 'insufficient_scope',
        detail: 'The API key does not have the scopes "messages:send", "workflows:run" that this request needs.',
        scope: 'messages:send workflows:run',
        missingScopes: ['messages:send', 'workflows:run'],
        key: 'acme_live_abcd…wxyz',
      },
    ])
  })

  it('a 403 from verify names every missing scope, the same bytes as requireScopes', () => {
    const key = { scopes: [], effectiveScopes: [], redacted: 'acme_live_abcd…wxyz' } as never
    const failed = failure('insufficient_scope', { scope: 'a:b', missingScopes: ['a:b', 'c:d'] })
    const response = verifyFailureResponse(failed, 'api', 'acme_live_abcd…wxyz')
    expect(response.headers['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope", scope="a:b c:d"')
    expect(response).toEqual(requireScopesResponse(key, ['a:b', 'c:d'], 'api'))
  })

  it('requireScopesResponse checks effective scopes, and names every alternative of { anyOf }', () => {
    // Own scopes the owner does not allow count for nothing; a role's scope counts.
    const key = { scopes: ['messages:send'], effectiveScopes: ['contacts:read'], redacted: 'acme_live_abcd…wxyz' } as never
    expect(requireScopesResponse(key, ['messages:send'], 'api')?.status).toBe(403)
    expect(requireScopesResponse(key, ['contacts:read'], 'api')).toBeNull()
    expect(requireScopesResponse(key, { mode: 'any', scopes: ['contacts:write', 'contacts:read'] }, 'api')).toBeNull()
    const refusal = requireScopesResponse(key, { mode: 'any', scopes: ['messages:send', 'workflows:run'] }, 'api')!
    expect([refusal.headers['www-authenticate'], refusal.body.detail, refusal.body.missingScopes]).toEqual([
      'Bearer realm="api", error="insufficient_scope", scope="messages:send workflows:run"',
      'The API key has none of the scopes "messages:send", "workflows:run", and this request needs one of them.',
      ['messages:send', 'workflows:run'],
    ])
    // Fail closed: a view without effective scopes holds nothing.
    expect(requireScopesResponse({ scopes: ['*'], redacted: 'x' } as never, ['a'], 'api')?.status).toBe(403)
  })

  it('usage_exceeded: Retry-After only when the credits refill; the body says how many remain', () => {
    const never = verifyFailureResponse(failure('usage_exceeded', { creditsRemaining: 2 }), 'api')
    expect([never.status, 'retry-after' in never.headers, never.body.creditsRemaining]).toEqual([429, false, 2])
    expect(never.body.detail).toMatch(/not refilled/)
    const refills = verifyFailureResponse(failure('usage_exceeded', { creditsRemaining: 0, retryAfterMs: 90_500 }), 'api')
    expect([refills.headers['retry-after'], refills.body.creditsRemaining]).toEqual(['91', 0])
  })
})

describe('authenticateRequest', () => {
  it('verifies, passes scopes and source, and never calls the store for what cannot be a key', async () => {
    const store = new CountingStore()
    const keyward = createKeyward({ prefix: 'acme_live', store, pepper: PEPPER, throttle: { perSource: { limit: 2, windowMs: 60_000 } } })
    open.push(keyward)
    const { key, info } = await keyward.create({ name: 'CRM', scopes: ['contacts:sync'] })
    const config = resolveHttpAuthOptions({ scopes: ['contacts:sync'] })
    expect(await authenticateRequest(keyward, ['x-api-key', key], config)).toEqual({
      ok: true,
      key: expect.objectContaining({ id: info.id }),
    })
    const denied = await authenticateRequest(keyward, ['x-api-key', key], resolveHttpAuthOptions({ scopes: ['messages:send'] }))
    expect(denied.ok === false && denied.response.status).toBe(403)

    store.calls = {}
    for (const [junk, status] of [
      ['', 400],
      ['  ', 400],
      ['Bearer', 401],
      [`${key} x`, 400],
      ['acme_live_', 401],
      [key.slice(0, -1), 401],
      [key + 'x', 401],
      ['x'.repeat(20_000), 401],
    ] as const) {
      const result = await authenticateRequest(keyward, ['authorization', `Bearer ${junk}`], config)
      expect(result.ok === false && [result.response.status, result.response.body.code], junk.slice(0, 20)).toEqual([
        status,
        status === 400 ? 'invalid_request' : 'malformed',
      ])
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

  it('throttles an IPv6 client by its /64 and an IPv4-mapped address as the IPv4 one', async () => {
    const keyward = createKeyward({
      prefix: 'acme_live',
      store: new MemoryKeyStore(),
      throttle: { perSource: { limit: 2, windowMs: 60_000 } },
    })
    const other = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore() })
    open.push(keyward, other)
    const foreign = (await other.create({ name: 'Elsewhere' })).key
    const config = resolveHttpAuthOptions()
    const status = async (source: string) => {
      const result = await authenticateRequest(keyward, ['x-api-key', foreign], config, source)
      return result.ok ? 200 : result.response.status
    }
    // A fresh address of the same /64 for every guess does not help.
    expect([await status('2001:db8:1:2::a'), await status('2001:DB8:1:2:ffff::b'), await status('2001:db8:1:2::c%eth0')]).toEqual([
      401, 401, 429,
    ])
    expect(await status('2001:db8:1:3::a')).toBe(401)
    expect([await status('::ffff:203.0.113.7'), await status('203.0.113.7'), await status('::ffff:cb00:7107')]).toEqual([401, 401, 429])
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
