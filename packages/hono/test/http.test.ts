import { connect, type AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { createAdaptorServer } from '@hono/node-server'
import { runAdapterConformance, type ConformanceAdapter, type ConformanceServer } from '@keyward/core/testing'
import { Hono } from 'hono'
import { apiKeyAuth, keyManagement, requireScopes, secretScanningRoute, type ApiKeyEnv } from '../src/index.js'

/** Hono on Node through `@hono/node-server`, on 127.0.0.1, port 0. */
// biome-ignore lint/suspicious/noExplicitAny: apps of any environment
async function listen(app: Hono<any>): Promise<ConformanceServer> {
  const server = createAdaptorServer({ fetch: app.fetch, serverOptions: { maxHeaderSize: 65_536 } }) as Server
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

export const adapter: ConformanceAdapter = {
  name: 'hono (node)',
  connect,
  async start(keyward, options, probe, proxy = 'none') {
    const app = new Hono<ApiKeyEnv>()
    app.get('/health', (c) => {
      probe.handled.push('health')
      return c.json({ ok: true })
    })
    const trustProxy = proxy === 'none' ? false : proxy === 'one-hop' ? 1 : true
    app.use('/v1/*', apiKeyAuth(keyward, { ...options, ...(trustProxy !== false && { trustProxy }) }))
    app.get('/v1/me', (c) => {
      probe.handled.push('me')
      return c.json({ id: c.get('apiKey')?.id ?? null })
    })
    app.post('/v1/messages', requireScopes('messages:send'), (c) => {
      probe.handled.push('messages')
      return c.json({ sent: true })
    })
    app.post('/v1/workflows', requireScopes('workflows:run', 'messages:send'), (c) => {
      probe.handled.push('workflows')
      return c.json({ run: true })
    })
    app.post('/v1/contacts', requireScopes({ anyOf: ['contacts:read', 'contacts:write'] }), (c) => {
      probe.handled.push('contacts')
      return c.json({ listed: true })
    })
    return listen(app)
  },
  async startManagement(keyward, options) {
    const app = new Hono()
    app.use('/api/keys/*', keyManagement(keyward, { basePath: '/api/keys', ...options }))
    return listen(app)
  },
  async startSecretScanning(keyward, options) {
    const app = new Hono()
    app.post('/github/secret-scanning', secretScanningRoute(keyward, options))
    return listen(app)
  },
}

runAdapterConformance(adapter)
