import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKeyward, MemoryKeyStore } from '@keyward/core'
import Fastify from 'fastify'
import { runHttpSuite, type AdapterHarness } from '../../../test/http-suite.js'
import { apiKeyAuth, requireScopes } from '../src/index.js'

export const harness: AdapterHarness = {
  name: 'fastify',
  core: { createKeyward, MemoryKeyStore },
  async start(keyward, options, probe, proxy = 'none') {
    const app = Fastify({
      // Fastify 5.12 refuses hop counts (a number trusts nothing): one hop is the proxy's address.
      ...(proxy !== 'none' && { trustProxy: proxy === 'one-hop' ? '127.0.0.1' : true }),
      logger: { level: 'info', stream: { write: (line: string) => probe.log(line) } },
      serverFactory: (handler) => createServer({ maxHeaderSize: 65_536 }, handler),
    })
    app.get('/health', async () => {
      probe.handled.push('health')
      return { ok: true }
    })
    await app.register(
      async (v1) => {
        await v1.register(apiKeyAuth, { keyward, ...options })
        v1.get('/me', async (request) => {
          probe.handled.push('me')
          return { id: request.apiKey?.id ?? null }
        })
        v1.post('/messages', { preHandler: requireScopes('messages:send') }, async () => {
          probe.handled.push('messages')
          return { sent: true }
        })
        v1.post('/workflows', { preHandler: requireScopes('workflows:run', 'messages:send') }, async () => {
          probe.handled.push('workflows')
          return { run: true }
        })
      },
      { prefix: '/v1' },
    )
    try {
      await app.listen({ port: 0, host: '127.0.0.1' })
    } catch (error) {
      await app.close()
      throw error
    }
    return { port: (app.server.address() as AddressInfo).port, close: () => app.close() }
  },
}

runHttpSuite(harness)
