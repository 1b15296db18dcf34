import type { ApiKeyInfo, Keyward } from '@keyward/core'
import Koa, { type Context, type Middleware } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import { apiKeyAuth, requireScopes, type ApiKeyAuthOptions } from '../src/index.js'

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
})
