import { createKeyward, MemoryKeyStore } from '@keyward/core'
import { getApiKey, requireScopes, withApiKey } from '@keyward/core/http'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

const keyward = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), throttle: { perSource: { limit: 2, windowMs: 60_000 } } })
let full = ''
let plain = ''
beforeAll(async () => {
  full = (await keyward.create({ name: 'Full', scopes: ['messages:send'] })).key
  plain = (await keyward.create({ name: 'Plain' })).key
})
afterAll(() => keyward.close())

const request = (headers: [string, string][] = [], init: RequestInit = {}) =>
  new Request('https://api.acme.test/v1/me', { ...init, headers })
const echo = (req: Request) => Response.json({ id: getApiKey(req)?.id ?? null })

describe('withApiKey (fetch handlers: Next.js, Bun, Deno, Workers)', () => {
  it('hands the verified key to the handler through getApiKey(request), and the runtime arguments through', async () => {
    const seen: unknown[] = []
    const handler = withApiKey(keyward, (req: Request, env: { name: string }) => {
      seen.push(env.name)
      return echo(req)
    })
    const response = await handler(request([['Authorization', `Bearer ${full}`]]), { name: 'env' })
    expect([response.status, await response.json(), seen]).toEqual([200, { id: full.split('_')[2] }, ['env']])
    expect(getApiKey(request())).toBeUndefined()
  })

  it('answers a refusal as a problem+json Response with its Content-Length, and the handler never runs', async () => {
    const handler = vi.fn(echo)
    const response = await withApiKey(keyward, handler)(request())
    const body = await response.text()
    expect([response.status, response.headers.get('www-authenticate'), response.headers.get('content-type')]).toEqual([
      401,
      'Bearer realm="api"',
      'application/problem+json',
    ])
    expect(response.headers.get('content-length')).toBe(String(new TextEncoder().encode(body).length))
    expect(JSON.parse(body).code).toBe('missing_credentials')
    expect(handler).not.toHaveBeenCalled()
  })

  it('sees a repeated header that Headers joined with ", " as two credentials: 400 conflict, as on Node', async () => {
    const headers = new Headers()
    headers.append('X-API-Key', full)
    headers.append('X-API-Key', plain)
    const conflict = await withApiKey(keyward, echo)(new Request('https://api.acme.test/', { headers }))
    expect([conflict.status, (await conflict.json()).detail]).toEqual([
      400,
      'The request carries more than one different API key. Send exactly one.',
    ])
    const bearers = new Headers([['Authorization', 'Basic dXNlcjpwYXNz']])
    bearers.append('Authorization', `Bearer ${full}`)
    expect((await withApiKey(keyward, echo)(new Request('https://api.acme.test/', { headers: bearers }))).status).toBe(200)
    // One value with a comma inside stays one credential, malformed as on Node.
    expect((await withApiKey(keyward, echo)(request([['Authorization', `Bearer ${full}, junk`]]))).status).toBe(400)
  })

  it('adds rate-limit headers to an answer whose headers are immutable', async () => {
    const { key } = await keyward.create({ name: 'Limited', rateLimit: { limit: 5, windowMs: 60_000 } })
    const frozen = () => Response.redirect('https://acme.test/elsewhere', 302)
    const response = await withApiKey(keyward, frozen)(request([['X-API-Key', key]]))
    expect([response.status, response.headers.get('location'), response.headers.get('ratelimit-policy')]).toEqual([
      302,
      'https://acme.test/elsewhere',
      '"default";q=5;w=60',
    ])
  })

  it('throttles by the address source() gives, X-Forwarded-For only as deep as trustProxy says', async () => {
    const unknown = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore() })
    const stranger = (await unknown.create({ name: 'Elsewhere' })).key
    await unknown.close()
    const behindOneProxy = withApiKey(keyward, echo, { source: () => '10.0.0.1', trustProxy: 1 })
    const guess = (client: string) =>
      behindOneProxy(
        request([
          ['Authorization', `Bearer ${stranger}`],
          ['X-Forwarded-For', `192.0.2.1, ${client}`],
        ]),
      ).then((r) => r.status)
    expect([await guess('203.0.113.5'), await guess('203.0.113.5'), await guess('203.0.113.5')]).toEqual([401, 401, 429])
    expect(await guess('203.0.113.6')).toBe(401)
  })

  it('requireScopes guards one handler: 403 naming the scope, 401 when no withApiKey ran', async () => {
    const guarded = withApiKey(keyward, requireScopes(['messages:send'], echo), { realm: 'acme' })
    expect((await guarded(request([['X-API-Key', full]]))).status).toBe(200)
    const refused = await guarded(request([['X-API-Key', plain]]))
    expect([refused.status, refused.headers.get('www-authenticate')]).toEqual([
      403,
      'Bearer realm="acme", error="insufficient_scope", scope="messages:send"',
    ])
    expect((await requireScopes(['messages:send'], echo)(request([['X-API-Key', full]]))).status).toBe(401)
  })

  it('validates when built: keyward, handler, options, trustProxy and source', () => {
    expect(() => withApiKey({} as never, echo)).toThrow(TypeError)
    expect(() => withApiKey(keyward, 'handler' as never)).toThrow(TypeError)
    expect(() => withApiKey(keyward, echo, { scope: ['a'] } as never)).toThrow(/unknown option "scope"/)
    expect(() => withApiKey(keyward, echo, { trustProxy: -1 })).toThrow(/trustProxy/)
    expect(() => withApiKey(keyward, echo, { source: '1.2.3.4' as never })).toThrow(/source/)
    expect(() => requireScopes([] as never, echo)).toThrow(/at least one scope/)
    expect(() => requireScopes(['Bad Scope'], echo)).toThrow(TypeError)
  })
})
