import type { Keyward } from '@keyward/core'
import { keyManagementHandler, type KeyManagementOptions } from '@keyward/core/http'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { keepRawBodies, ownOptions, sendWeb, toWebRequest } from './web.js'

/** Options of {@link keyManagementPlugin}: the Keyward instance and core's key management options. */
export interface KeyManagementPluginOptions extends Omit<KeyManagementOptions<FastifyRequest>, 'basePath'> {
  /** The instance returned by `createKeyward()`. */
  // biome-ignore lint/suspicious/noExplicitAny: a Keyward<'a' | 'b'> is not assignable to Keyward<string> (its methods take S-typed input)
  keyward: Keyward<any>
}

/**
 * The JSON API behind an "API Keys" page (core's `keyManagementHandler`: list, create, get,
 * update, disable, enable, rotate, revoke, delete) as an encapsulated plugin: register it with the
 * `prefix` it lives at. `authorize` and `onError` receive the Fastify request. The plugin reads
 * request bodies itself (JSON only, `maxBodyBytes`). Invalid options reject the registration with
 * a `TypeError`, `allowedOrigins` missing or empty included.
 *
 * @example
 * await app.register(keyManagementPlugin, {
 *   prefix: '/api/keys',
 *   keyward,
 *   authorize: (request) => request.user?.teamId ?? null,
 *   allowedOrigins: ['https://app.acme.com'],
 *   allowedScopes: ['messages:send', 'contacts:sync'],
 * })
 */
export const keyManagementPlugin: FastifyPluginAsync<KeyManagementPluginOptions> = async (fastify, opts) => {
  const { keyward, ...options } = ownOptions(opts)
  const handle = keyManagementHandler<FastifyRequest>(keyward, {
    clientAddress: (request) => request.ip,
    ...options,
    basePath: fastify.prefix,
  })
  keepRawBodies(fastify)
  async function keywardKeyManagement(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (!handle.handles(request.url.split('?', 1)[0]!)) {
      reply.callNotFound()
      return undefined
    }
    return sendWeb(reply, await handle(toWebRequest(request), request))
  }
  fastify.all('/', keywardKeyManagement)
  fastify.all('/*', keywardKeyManagement)
}
