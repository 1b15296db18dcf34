import type { Keyward } from '@keyward/core'
import { apiKeyAuth, requireScopes } from '@keyward/koa'
import Koa, { type Middleware } from 'koa'

export type Scope = 'messages:send' | 'contacts:sync'

async function readJson(req: NodeJS.ReadableStream): Promise<Record<string, unknown>> {
  let text = ''
  for await (const chunk of req) text += String(chunk)
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** The API: every /v1 route needs an API key; two routes need a scope. */
export function buildApp(keyward: Keyward<Scope>): Koa {
  const app = new Koa()
  // Behind one reverse proxy, ctx.ip (the address failed-key throttling counts) must be the address
  // the proxy saw: read exactly one X-Forwarded-For entry, the one it appended. With maxIpsCount 0
  // Koa takes the leftmost entry, which the client writes itself. Keep the app reachable only
  // through the proxy (here it listens on loopback).
  app.proxy = true
  app.maxIpsCount = 1
  const routes: Record<string, Middleware[]> = {
    'GET /v1/me': [
      (ctx) => {
        const key = ctx.state.apiKey!
        ctx.body = { id: key.id, name: key.name, scopes: key.scopes }
      },
    ],
    'POST /v1/messages': [
      requireScopes<Scope>('messages:send'),
      async (ctx) => {
        const body = await readJson(ctx.req)
        ctx.status = 202
        ctx.body = { queued: true, to: body.to ?? null, sentBy: ctx.state.apiKey!.name }
      },
    ],
    'POST /v1/contacts/sync': [
      requireScopes<Scope>('contacts:sync'),
      async (ctx) => {
        const body = await readJson(ctx.req)
        ctx.body = { synced: Array.isArray(body.contacts) ? body.contacts.length : 0, by: ctx.state.apiKey!.name }
      },
    ],
  }
  const auth = apiKeyAuth(keyward)
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/v1/')) return next()
    await auth(ctx, async () => {
      const chain = routes[`${ctx.method} ${ctx.path}`]
      if (!chain) return
      // Run the route's middleware in order (what @koa/router would do).
      const run = async (i: number): Promise<void> => {
        if (i < chain.length) await chain[i]!(ctx, () => run(i + 1))
      }
      await run(0)
    })
  })
  return app
}
