import type { ApiKeyInfo, Keyward } from '@keyward/core'
import Koa, { type Context, type Middleware } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import { apiKeyAuth, keyManagementMiddleware, requireScopes, type ApiKeyAuthOptions, type KeyManagementOptions } from '../src/index.js'

declare const keyward: Keyward<'messages:send' | 'contacts:sync'>

describe('@keyward/koa types', () => {
  it('types ctx.state.apiKey through declaration merging', () => {
    new Koa().use((ctx) => {
      expectTypeOf(ctx.state.apiKey).toEqualTypeOf<ApiKeyInfo | null | undefined>()
      expectTypeOf(ctx.state.apiKey!.name).toEqualTypeOf<string>()
    })
    expectTypeOf<Koa.DefaultState['apiKey']>().toEqualTypeOf<ApiKeyInfo | null | undefined>()
  })

  it('returns Koa middleware and checks typed scopes', () => {
    expectTypeOf(apiKeyAuth(keyward)).toEqualTypeOf<Middleware>()
    expectTypeOf(requireScopes('messages:send')).toEqualTypeOf<Middleware>()
    // @ts-expect-error not one of the typed scopes
    apiKeyAuth(keyward, { scopes: ['contacts:delete'] })
    // @ts-expect-error at least one scope
    requireScopes()
  })

  it('gives onFailure the Koa context', () => {
    expectTypeOf<Parameters<NonNullable<ApiKeyAuthOptions['onFailure']>>[1]>().toEqualTypeOf<Context>()
  })

  it('gives key management the Koa context and returns middleware', () => {
    expectTypeOf<Parameters<KeyManagementOptions['authorize']>[0]>().toEqualTypeOf<Context>()
    expectTypeOf(
      keyManagementMiddleware(keyward, { authorize: (ctx) => ctx.get('x-team'), allowedOrigins: ['https://app.acme.test'] }),
    ).toEqualTypeOf<Middleware>()
    keyManagementMiddleware(keyward, { authorize: () => ({ ownerId: 'team', actorId: 'user' }), allowedOrigins: ['https://app.acme.test'] })
    // @ts-expect-error allowedOrigins is required
    keyManagementMiddleware(keyward, { authorize: () => 'team' })
  })
})
