import { createServer } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import type { ConformanceAdapter, ConformanceServer } from '@keyward/core/testing'
import type Koa from 'koa'
import { apiKeyAuth, keyManagementMiddleware, requireScopes, secretScanningMiddleware } from '../src/index.js'

async function listen(app: Koa): Promise<ConformanceServer> {
  const server = createServer({ maxHeaderSize: 65_536 }, app.callback())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/**
 * The shared conformance suite's Koa app, built with the `Koa` class it is given: the Koa 3 the
 * package is developed on, or Koa 2 (the `koa2` alias), since the peer range takes both.
 */
export function koaAdapter(name: string, Koa: KoaClass): ConformanceAdapter {
  return {
    name,
    connect,
    async start(keyward, options, probe, proxy = 'none') {
      const app = new Koa()
      app.silent = true
      if (proxy !== 'none') app.proxy = true
      if (proxy === 'one-hop') app.maxIpsCount = 1
      app.on('error', (error: Error) => probe.log(String(error.stack)))
      const auth = apiKeyAuth(keyward, options)
      const needsMessagesSend = requireScopes('messages:send')
      const needsWorkflowsRun = requireScopes('workflows:run', 'messages:send')
      const needsContacts = requireScopes({ anyOf: ['contacts:read', 'contacts:write'] })
      // Routing by hand: the adapter must work with plain Koa middleware, no router needed.
      app.use(async (ctx, next) => {
        if (ctx.path === '/health') {
          probe.handled.push('health')
          ctx.body = { ok: true }
          return
        }
        if (!ctx.path.startsWith('/v1/')) return next()
        await auth(ctx, async () => {
          if (ctx.method === 'GET' && ctx.path === '/v1/me') {
            probe.handled.push('me')
            ctx.body = { id: ctx.state.apiKey?.id ?? null }
          } else if (ctx.method === 'POST' && ctx.path === '/v1/messages') {
            await needsMessagesSend(ctx, async () => {
              probe.handled.push('messages')
              ctx.body = { sent: true }
            })
          } else if (ctx.method === 'POST' && ctx.path === '/v1/workflows') {
            await needsWorkflowsRun(ctx, async () => {
              probe.handled.push('workflows')
              ctx.body = { run: true }
            })
          } else if (ctx.method === 'POST' && ctx.path === '/v1/contacts') {
            await needsContacts(ctx, async () => {
              probe.handled.push('contacts')
              ctx.body = { listed: true }
            })
          }
        })
      })
      return listen(app)
    },
    async startManagement(keyward, options) {
      const app = new Koa()
      app.silent = true
      app.use(keyManagementMiddleware(keyward, { ...options, basePath: '/api/keys' }))
      return listen(app)
    },
    async startSecretScanning(keyward, options) {
      const app = new Koa()
      app.silent = true
      const scanning = secretScanningMiddleware(keyward, options)
      // Routing by hand, as a router would.
      app.use((ctx, next) => (ctx.method === 'POST' && ctx.path === '/github/secret-scanning' ? scanning(ctx, next) : next()))
      return listen(app)
    },
  }
}

/** What the adapter uses of a Koa module (2 and 3 alike). */
type KoaClass = typeof Koa
