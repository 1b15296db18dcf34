import type { ApiKeyInfo, Keyward, ScopeRequirement } from '@keyward/core'
import Fastify, { type FastifyContextConfig, type FastifyRequest, type preHandlerAsyncHookHandler } from 'fastify'
import { describe, expectTypeOf, it } from 'vitest'
import { apiKeyAuth, keyManagementPlugin, requireScopes, type ApiKeyAuthOptions, type KeyManagementPluginOptions } from '../src/index.js'

declare const keyward: Keyward<'messages:send' | 'contacts:sync'>

describe('@keyward/fastify types', () => {
  it('types request.apiKey through declaration merging', () => {
    expectTypeOf<FastifyRequest['apiKey']>().toEqualTypeOf<ApiKeyInfo | null>()
    Fastify().get('/', async (request) => {
      expectTypeOf(request.apiKey).toEqualTypeOf<ApiKeyInfo | null>()
      return request.apiKey?.name
    })
  })

  it('registers with typed options and route config', async () => {
    const app = Fastify()
    await app.register(apiKeyAuth, { keyward, optional: true, realm: 'acme' })
    // @ts-expect-error keyward is required
    await app.register(apiKeyAuth, { optional: true })
    app.get('/x', { config: { apiKey: { scopes: ['messages:send'] } } }, async () => 'x')
    app.get('/health', { config: { apiKey: false } }, async () => 'ok')
    expectTypeOf<FastifyContextConfig['apiKey']>().toEqualTypeOf<false | { scopes?: ScopeRequirement } | undefined>()
    app.get('/y', { config: { apiKey: { scopes: { anyOf: ['a', 'b'] } } } }, async () => 'y')
    expectTypeOf(requireScopes({ anyOf: ['messages:send'] })).toEqualTypeOf<preHandlerAsyncHookHandler>()
    expectTypeOf(requireScopes('messages:send')).toEqualTypeOf<preHandlerAsyncHookHandler>()
    // @ts-expect-error at least one scope
    requireScopes()
  })

  it('gives onFailure the Fastify request', () => {
    expectTypeOf<Parameters<NonNullable<ApiKeyAuthOptions['onFailure']>>[1]>().toEqualTypeOf<FastifyRequest>()
  })

  it('gives key management the Fastify request, under a prefix', async () => {
    expectTypeOf<Parameters<KeyManagementPluginOptions['authorize']>[0]>().toEqualTypeOf<FastifyRequest>()
    await Fastify().register(keyManagementPlugin, {
      prefix: '/api/keys',
      keyward,
      authorize: (request) => request.headers['x-team']?.toString() ?? null,
      allowedOrigins: ['https://app.acme.test'],
    })
  })
})
