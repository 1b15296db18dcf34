import { createServer } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import type { ConformanceAdapter, ConformanceServer } from '@keyward/core/testing'
import type Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { apiKeyAuth, keyManagementPlugin, requireScopes, secretScanningPlugin } from '../src/index.js'

/** A Fastify app with `register`'s plugins only, listening. */
async function listen(Fastify: FastifyFactory, register: (app: FastifyInstance) => PromiseLike<unknown>): Promise<ConformanceServer> {
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

/**
 * The shared conformance suite's Fastify app, built with the `Fastify` factory it is given: the
 * Fastify 5 the package is developed on, or Fastify 4 (the `fastify4` alias), since the peer range
 * takes both.
 */
export function fastifyAdapter(name: string, Fastify: FastifyFactory): ConformanceAdapter {
  return {
    name,
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
          // The route's own config (checked in the plugin's onRequest), where the others use requireScopes.
          v1.post('/contacts', { config: { apiKey: { scopes: { anyOf: ['contacts:read', 'contacts:write'] } } } }, async () => {
            probe.handled.push('contacts')
            return { listed: true }
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
    startManagement: (keyward, options) =>
      listen(Fastify, (app) => app.register(keyManagementPlugin, { prefix: '/api/keys', keyward, ...options })),
    startSecretScanning: (keyward, options) => listen(Fastify, (app) => app.register(secretScanningPlugin, { keyward, ...options })),
  }
}

/** What the adapter uses of a Fastify module (4 and 5 alike). */
type FastifyFactory = typeof Fastify
