import { describe, expectTypeOf, it } from 'vitest'
import {
  type AnyKeywardError,
  type ApiKeyInfo,
  createKeyward,
  InvalidInputError,
  KeyNotFoundError,
  MemoryKeyStore,
  type VerifyResult,
} from '../src/index.js'

type Scope = 'messages:send' | 'contacts:sync' | 'contacts:read'
const keyward = createKeyward<Scope>({ prefix: 'acme', store: new MemoryKeyStore() })

describe('typed scopes', () => {
  it('accepts declared scopes and their wildcards, and rejects others', () => {
    expectTypeOf(keyward.create)
      .parameter(0)
      .toHaveProperty('scopes')
      .toEqualTypeOf<('messages:send' | 'contacts:sync' | 'contacts:read' | 'messages:*' | 'contacts:*' | '*')[] | undefined>()
    void keyward.create({ name: 'ok', scopes: ['contacts:*', 'messages:send', '*'] })
    // @ts-expect-error: not a declared scope
    void keyward.create({ name: 'bad', scopes: ['billing:charge'] })
    void keyward.verify('k', { scopes: ['contacts:sync'] })
    // @ts-expect-error: verify asks for concrete scopes only
    void keyward.verify('k', { scopes: ['contacts:*'] })
  })

  it('narrows verify results', async () => {
    const result = await keyward.verify('k')
    expectTypeOf(result).toEqualTypeOf<VerifyResult<Scope>>()
    if (result.ok) expectTypeOf(result.key).toEqualTypeOf<ApiKeyInfo<Scope>>()
    else
      expectTypeOf(result.code).toEqualTypeOf<
        | 'malformed'
        | 'invalid'
        | 'disabled'
        | 'expired'
        | 'revoked'
        | 'insufficient_scope'
        | 'ip_not_allowed'
        | 'not_yet_valid'
        | 'rate_limited'
        | 'usage_exceeded'
        | 'store_unavailable'
      >()
  })

  it('lets typed results flow into code written for untyped ones', async () => {
    const result = await keyward.verify('k')
    expectTypeOf(result).toExtend<VerifyResult>()
    if (result.ok) expectTypeOf(result.key).toExtend<ApiKeyInfo>()
  })

  it('defaults to plain strings', () => {
    const untyped = createKeyward({ prefix: 'acme', store: new MemoryKeyStore() })
    void untyped.create({ name: 'any', scopes: ['whatever:you-like'] })
    expectTypeOf<ApiKeyInfo['scopes']>().toEqualTypeOf<string[]>()
  })
})

describe('options', () => {
  it('take pepper or peppers, never both', () => {
    const store = new MemoryKeyStore()
    void createKeyward({ prefix: 'acme', store, pepper: 'x'.repeat(32) })
    void createKeyward({ prefix: 'acme', store, peppers: { current: 'a', secrets: { a: 'x'.repeat(32) } } })
    // @ts-expect-error: one or the other
    void createKeyward({ prefix: 'acme', store, pepper: 'x'.repeat(32), peppers: { current: 'a', secrets: { a: 'x'.repeat(32) } } })
  })
})

describe('errors', () => {
  it('narrow by code through AnyKeywardError', () => {
    const error = new KeyNotFoundError('abc') as AnyKeywardError
    expectTypeOf(new InvalidInputError('name', 'x').code).toEqualTypeOf<'invalid_input'>()
    if (error.code === 'not_found') expectTypeOf(error).toEqualTypeOf<KeyNotFoundError>()
    if (error.code === 'invalid_input') expectTypeOf(error.field).toEqualTypeOf<string>()
    if (error.code === 'schema_outdated') expectTypeOf(error.databaseVersion).toEqualTypeOf<number>()
  })
})
