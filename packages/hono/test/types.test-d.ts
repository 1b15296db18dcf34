import { createKeyward, MemoryKeyStore, type ApiKeyInfo } from '@keyward/core'
import { Hono } from 'hono'
import { expectTypeOf, test } from 'vitest'
import { apiKeyAuth, requireScopes, type ApiKeyEnv } from '../src/index.js'

test("c.get('apiKey') is typed through Hono's Variables, scopes included", () => {
  const keyward = createKeyward<'messages:send' | 'contacts:sync'>({ prefix: 'acme_live', store: new MemoryKeyStore() })
  const app = new Hono<ApiKeyEnv<'messages:send' | 'contacts:sync'>>()
  app.use('/v1/*', apiKeyAuth(keyward))
  app.post('/v1/messages', requireScopes('messages:send'), (c) => {
    expectTypeOf(c.get('apiKey')).toEqualTypeOf<ApiKeyInfo<'messages:send' | 'contacts:sync'> | null>()
    return c.json({ ok: true })
  })
  // @ts-expect-error: a scope the instance does not know
  apiKeyAuth(keyward, { scopes: ['workflows:run'] })
  // @ts-expect-error: the hook gets the Hono context, not a Request
  apiKeyAuth(keyward, { onFailure: (_response, _c: Request) => undefined })
})
