import { createKeyward, MemoryKeyStore, type Keyward } from '@keyward/core'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { apiKeyAuth, requireScopes } from '../src/index.js'

let keyward: Keyward
let key: string
let plainKey: string
const apps: FastifyInstance[] = []

function app(): FastifyInstance {
  const instance = Fastify()
  apps.push(instance)
  return instance
}
const auth = (k: string) => ({ authorization: `Bearer ${k}` })

beforeEach(async () => {
  keyward = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore() })
  key = (await keyward.create({ name: 'Full', scopes: ['messages:send'] })).key
  plainKey = (await keyward.create({ name: 'Plain' })).key
})
afterEach(async () => {
  await Promise.all(apps.splice(0).map((instance) => instance.close()))
  await keyward.close()
})

describe('@keyward/fastify', () => {
  it('guards the context it is registered in and its children, never a sibling', async () => {
    const root = app()
    root.get('/public', async (request) => ({ apiKey: String(request.apiKey) }))
    await root.register(async (guarded) => {
      await guarded.register(apiKeyAuth, { keyward })
      guarded.get('/guarded', async (request) => ({ name: request.apiKey?.name }))
      await guarded.register(async (child) => {
        child.get('/guarded/child', async () => ({ child: true }))
      })
    })
    await root.register(async (sibling) => {
      sibling.get('/sibling', async (request) => ({ apiKey: String(request.apiKey) }))
    })
    expect((await root.inject('/guarded')).statusCode).toBe(401)
    expect((await root.inject('/guarded/child')).statusCode).toBe(401)
    expect((await root.inject({ url: '/guarded', headers: auth(key) })).json()).toEqual({ name: 'Full' })
    // Outside the plugin's context: open, and not even decorated.
    expect((await root.inject('/public')).json()).toEqual({ apiKey: 'undefined' })
    expect((await root.inject('/sibling')).json()).toEqual({ apiKey: 'undefined' })
  })

  it('reads per-route scopes from route config, and config.apiKey: false leaves a route public', async () => {
    const instance = app()
    await instance.register(apiKeyAuth, { keyward })
    instance.post('/messages', { config: { apiKey: { scopes: ['messages:send'] } } }, async () => ({ sent: true }))
    instance.post('/guarded-by-prehandler', { preHandler: requireScopes('messages:send') }, async () => ({ sent: true }))
    instance.get('/health', { config: { apiKey: false } }, async (request) => ({ ok: true, apiKey: request.apiKey }))
    expect((await instance.inject({ method: 'POST', url: '/messages', headers: auth(key) })).statusCode).toBe(200)
    const refused = await instance.inject({ method: 'POST', url: '/messages', headers: auth(plainKey) })
    expect(refused.statusCode).toBe(403)
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope", scope="messages:send"')
    const viaPreHandler = await instance.inject({ method: 'POST', url: '/guarded-by-prehandler', headers: auth(plainKey) })
    // Both ways answer the same bytes.
    expect([viaPreHandler.statusCode, viaPreHandler.headers, viaPreHandler.body]).toEqual([
      403,
      { ...refused.headers, date: viaPreHandler.headers.date },
      refused.body,
    ])
    expect((await instance.inject('/health')).json()).toEqual({ ok: true, apiKey: null })
  })

  it("a route config's 403 carries the key's RateLimit headers, as the preHandler's (and Express's and Koa's) does", async () => {
    const instance = app()
    await instance.register(apiKeyAuth, { keyward })
    instance.post('/messages', { config: { apiKey: { scopes: ['messages:send'] } } }, async () => ({ sent: true }))
    instance.post('/guarded-by-prehandler', { preHandler: requireScopes('messages:send') }, async () => ({ sent: true }))
    const limited = (await keyward.create({ name: 'Limited', rateLimit: { limit: 10, windowMs: 3_600_000 } })).key
    const refused = await instance.inject({ method: 'POST', url: '/messages', headers: auth(limited) })
    const viaPreHandler = await instance.inject({ method: 'POST', url: '/guarded-by-prehandler', headers: auth(limited) })
    expect(refused.statusCode).toBe(403)
    expect(refused.headers['ratelimit-policy']).toBe('"default";q=10;w=3600')
    expect(refused.headers.ratelimit).toMatch(/^"default";r=9;t=\d+$/)
    // The same answer, but for the request the second one spent.
    expect([viaPreHandler.statusCode, viaPreHandler.headers, viaPreHandler.body]).toEqual([
      403,
      { ...refused.headers, date: viaPreHandler.headers.date, ratelimit: viaPreHandler.headers.ratelimit },
      refused.body,
    ])
    expect(viaPreHandler.headers.ratelimit).toMatch(/^"default";r=8;t=\d+$/)
  })

  it("route scopes add to the plugin's, and an anonymous request on an optional route needs none", async () => {
    const instance = app()
    await instance.register(apiKeyAuth, { keyward, scopes: ['messages:send'], optional: true })
    instance.post('/contacts', { config: { apiKey: { scopes: ['contacts:sync'] } } }, async (request) => ({
      id: request.apiKey?.id ?? null,
    }))
    const both = (await keyward.create({ name: 'Both', scopes: ['messages:send', 'contacts:sync'] })).key
    const contactsOnly = (await keyward.create({ name: 'Contacts', scopes: ['contacts:sync'] })).key
    expect((await instance.inject({ method: 'POST', url: '/contacts', headers: auth(both) })).statusCode).toBe(200)
    expect((await instance.inject({ method: 'POST', url: '/contacts', headers: auth(key) })).json()).toMatchObject({
      code: 'insufficient_scope',
      scope: 'contacts:sync',
    })
    expect((await instance.inject({ method: 'POST', url: '/contacts', headers: auth(contactsOnly) })).json()).toMatchObject({
      code: 'insufficient_scope',
      scope: 'messages:send',
    })
    expect((await instance.inject({ method: 'POST', url: '/contacts' })).json()).toEqual({ id: null })
  })

  it('rejects invalid route config when the route is added, and invalid options at registration', async () => {
    const instance = app()
    await instance.register(apiKeyAuth, { keyward })
    expect(() => instance.get('/x', { config: { apiKey: { scopes: ['Not A Scope'] } } }, async () => 'x')).toThrow(TypeError)
    expect(() => instance.get('/y', { config: { apiKey: { scope: ['a'] } as never } }, async () => 'y')).toThrow(/only "scopes"/)
    await expect(
      app()
        .register(apiKeyAuth, { keyward, optional: 'yes' as never })
        .ready(),
    ).rejects.toThrow(TypeError)
    await expect(
      app()
        .register(apiKeyAuth, { keyward: undefined as never })
        .ready(),
    ).rejects.toThrow(/createKeyward/)
    expect(() => requireScopes('Bad Scope' as 'x')).toThrow(TypeError)
    expect(() => (requireScopes as (...s: string[]) => unknown)()).toThrow(TypeError)
  })

  it('registers twice in nested contexts (decorators are added once) and the inner options win', async () => {
    const instance = app()
    await instance.register(apiKeyAuth, { keyward })
    await instance.register(async (inner) => {
      await inner.register(apiKeyAuth, { keyward, realm: 'inner', scopes: ['messages:send'] })
      inner.get('/inner', async () => 'ok')
    })
    const response = await instance.inject({ url: '/inner', headers: auth(plainKey) })
    // Outer plugin lets the key in; the inner one needs messages:send.
    expect([response.statusCode, response.headers['www-authenticate']]).toEqual([
      403,
      'Bearer realm="inner", error="insufficient_scope", scope="messages:send"',
    ])
  })

  it('works through inject as well as sockets, with the exact content type', async () => {
    const instance = app()
    await instance.register(apiKeyAuth, { keyward })
    instance.get('/me', async (request) => ({ id: request.apiKey!.id }))
    const response = await instance.inject({ url: '/me', headers: { 'x-api-key': 'nope' } })
    expect(response.statusCode).toBe(401)
    expect(response.headers['content-type']).toBe('application/problem+json')
    expect(response.json()).toMatchObject({ code: 'malformed' })
  })
})
