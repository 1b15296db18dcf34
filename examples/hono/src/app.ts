import type { Keyward } from '@keyward/core'
import { apiKeyAuth, requireScopes, type ApiKeyEnv } from '@keyward/hono'
import { Hono } from 'hono'

export type Scope = 'messages:send' | 'contacts:sync'

/** The API: every /v1 route needs an API key; two routes need a scope. The same app on Node and Bun. */
export function buildApp(keyward: Keyward<Scope>): Hono<ApiKeyEnv<Scope>> {
  const app = new Hono<ApiKeyEnv<Scope>>()
  // Behind one reverse proxy, the client address (what failed-key throttling counts) is the one
  // that proxy saw, the last X-Forwarded-For entry. Never `true`: the client would choose its own.
  app.use('/v1/*', apiKeyAuth(keyward, { trustProxy: 1 }))

  app.get('/v1/me', (c) => {
    const key = c.get('apiKey')!
    return c.json({ id: key.id, name: key.name, scopes: key.scopes })
  })
  app.post('/v1/messages', requireScopes<Scope>('messages:send'), async (c) => {
    const body = await c.req.json<{ to?: string }>().catch(() => ({}) as { to?: string })
    return c.json({ queued: true, to: body.to ?? null, sentBy: c.get('apiKey')!.name }, 202)
  })
  app.post('/v1/contacts/sync', requireScopes<Scope>('contacts:sync'), async (c) => {
    const body = await c.req.json<{ contacts?: unknown[] }>().catch(() => ({}) as { contacts?: unknown[] })
    return c.json({ synced: Array.isArray(body.contacts) ? body.contacts.length : 0, by: c.get('apiKey')!.name })
  })
  return app
}
