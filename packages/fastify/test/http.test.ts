import { createServer } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { runAdapterConformance, type ConformanceAdapter, type ConformanceServer } from '@keyward/core/testing'
import Fastify, { type FastifyInstance } from 'fastify'
import { apiKeyAuth, keyManagementPlugin, requireScopes, secretScanningPlugin } from '../src/index.js'

/** A Fastify app with `register`'s plugins only, listening. */
async function listen(register: (app: FastifyInstance) => PromiseLike<unknown>): Promise<ConformanceServer> {
  const app = Fastify()
  try {
    await register(app)
    await app.listen({ port: 0, host: '127.0.0.1' })
  } catch (error) {
    await app.close()
    throw error
  }
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() }
}

export const adapter: ConformanceAdapter = {
  name: 'fastify',
  connect,
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
  startManagement: (keyward, options) => listen((app) => app.register(keyManagementPlugin, { prefix: '/api/keys', keyward, ...options })),
  startSecretScanning: (keyward, options) => listen((app) => app.register(secretScanningPlugin, { keyward, ...options })),
}

runAdapterConformance(adapter)
