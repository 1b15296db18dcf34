import type { Keyward } from '@keyward/core'
import { apiKeyAuth, requireScopes } from '@keyward/fastify'
import Fastify, { type FastifyInstance } from 'fastify'

export type Scope = 'messages:send' | 'contacts:sync'

/** The API: every /v1 route needs an API key; two routes need a scope. */
export async function buildApp(keyward: Keyward<Scope>): Promise<FastifyInstance> {
  // Behind a reverse proxy, request.ip (the address failed-key throttling counts) must be the
  // address the proxy saw: trust exactly your proxies' addresses, here one on this machine. Never
  // `true`: the client would then choose its own address. (Fastify 5.12 ignores hop counts.)
  const app = Fastify({ trustProxy: ['127.0.0.1', '::1'] })
  app.get('/health', async () => ({ ok: true })) // outside the plugin's context: public
  await app.register(
    async (v1) => {
      await v1.register(apiKeyAuth, { keyward })
      v1.get('/me', async (request) => {
        const key = request.apiKey!
        return { id: key.id, name: key.name, scopes: key.scopes }
      })
      // Scopes per route: through route config…
      v1.post<{ Body: { to?: string } | undefined }>(
        '/messages',
        { config: { apiKey: { scopes: ['messages:send'] } } },
        async (request, reply) => {
          reply.code(202)
          return { queued: true, to: request.body?.to ?? null, sentBy: request.apiKey!.name }
        },
      )
      // …or a pre-handler.
      v1.post<{ Body: { contacts?: unknown[] } | undefined }>(
        '/contacts/sync',
        { preHandler: requireScopes<Scope>('contacts:sync') },
        async (request) => ({ synced: request.body?.contacts?.length ?? 0, by: request.apiKey!.name }),
      )
    },
    { prefix: '/v1' },
  )
  return app
}
