import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKeyward, MemoryKeyStore } from '@keyward/core'
import express from 'express'
import { runHttpSuite, type AdapterHarness } from '../../../test/http-suite.js'
import { apiKeyAuth, requireScopes } from '../src/index.js'

export const harness: AdapterHarness = {
  name: 'express',
  core: { createKeyward, MemoryKeyStore },
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
    app.use('/v1', v1)
    const server = createServer({ maxHeaderSize: 65_536 }, app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return {
      port: (server.address() as AddressInfo).port,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    }
  },
}

runHttpSuite(harness)
