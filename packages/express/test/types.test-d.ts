import type { ApiKeyInfo, Keyward } from '@keyward/core'
import express, { type Request, type RequestHandler } from 'express'
import { describe, expectTypeOf, it } from 'vitest'
import { apiKeyAuth, requireScopes, type ApiKeyAuthOptions } from '../src/index.js'

declare const keyward: Keyward<'messages:send' | 'contacts:sync'>

describe('@keyward/express types', () => {
  it('types req.apiKey through declaration merging', () => {
    expectTypeOf<Request['apiKey']>().toEqualTypeOf<ApiKeyInfo | null | undefined>()
    express().get('/', (req) => {
      expectTypeOf(req.apiKey).toEqualTypeOf<ApiKeyInfo | null | undefined>()
      expectTypeOf(req.apiKey!.scopes).toEqualTypeOf<string[]>()
    })
  })

  it('returns Express handlers and checks typed scopes', () => {
    expectTypeOf(apiKeyAuth(keyward)).toEqualTypeOf<RequestHandler>()
    expectTypeOf(requireScopes('messages:send')).toEqualTypeOf<RequestHandler>()
    apiKeyAuth(keyward, { scopes: ['contacts:sync'] })
    // @ts-expect-error not one of the typed scopes
    apiKeyAuth(keyward, { scopes: ['contacts:delete'] })
    // @ts-expect-error at least one scope
    requireScopes()
    requireScopes<'messages:send' | 'contacts:sync'>('contacts:sync')
    // @ts-expect-error not one of the typed scopes
    requireScopes<'messages:send' | 'contacts:sync'>('contacts:delete')
    expectTypeOf(requireScopes({ anyOf: ['messages:send', 'contacts:sync'] })).toEqualTypeOf<RequestHandler>()
    requireScopes<'messages:send' | 'contacts:sync'>({ allOf: ['contacts:sync'] })
    // @ts-expect-error not one of the typed scopes
    requireScopes<'messages:send' | 'contacts:sync'>({ anyOf: ['contacts:delete'] })
    apiKeyAuth(keyward, { scopes: { anyOf: ['contacts:sync', 'messages:send'] } })
    // @ts-expect-error not one of the typed scopes
    apiKeyAuth(keyward, { scopes: { anyOf: ['contacts:delete'] } })
  })

  it('gives onFailure the Express request', () => {
    expectTypeOf<Parameters<NonNullable<ApiKeyAuthOptions['onFailure']>>[1]>().toEqualTypeOf<Request>()
  })
})
