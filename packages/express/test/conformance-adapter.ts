import { createServer, type RequestListener } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import type { ConformanceAdapter, ConformanceServer } from '@keyward/core/testing'
import type express from 'express'
import { apiKeyAuth, keyManagementRouter, requireScopes, secretScanningRoute } from '../src/index.js'

async function listen(app: RequestListener): Promise<ConformanceServer> {
  const server = createServer({ maxHeaderSize: 65_536 }, app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/**
 * The shared conformance suite's Express app, built with the `express` it is given: the Express 5
 * the package is developed on, or Express 4 (the `express4` alias), since the peer range takes both.
 */
export function expressAdapter(name: string, express: Express): ConformanceAdapter {
  return {
    name,
    connect,
    async start(keyward, options, probe, proxy = 'none') {
      const app = express()
      app.disable('x-powered-by')
      if (proxy !== 'none') app.set('trust proxy', proxy === 'one-hop' ? 1 : true)
      app.get('/health', (_req, res) => {
        probe.handled.push('health')
        res.json({ ok: true })
      })
      const v1 = express.Router()
      v1.use(apiKeyAuth(keyward, options))
      v1.get('/me', (req, res) => {
        probe.handled.push('me')
        res.json({ id: req.apiKey?.id ?? null })
      })
      v1.post('/messages', requireScopes('messages:send'), (_req, res) => {
        probe.handled.push('messages')
        res.json({ sent: true })
      })
      v1.post('/workflows', requireScopes('workflows:run', 'messages:send'), (_req, res) => {
        probe.handled.push('workflows')
        res.json({ run: true })
      })
      v1.post('/contacts', requireScopes({ anyOf: ['contacts:read', 'contacts:write'] }), (_req, res) => {
        probe.handled.push('contacts')
        res.json({ listed: true })
      })
      app.use('/v1', v1)
      return listen(app)
    },
    async startManagement(keyward, options) {
      const app = express()
      app.disable('x-powered-by')
      app.use('/api/keys', keyManagementRouter(keyward, options))
      return listen(app)
    },
    async startSecretScanning(keyward, options) {
      const app = express()
      app.disable('x-powered-by')
      app.post('/github/secret-scanning', secretScanningRoute(keyward, options))
      return listen(app)
    },
  }
}

/** What the adapter uses of an Express module (4 and 5 alike). */
type Express = typeof express
