import type { Keyward } from '@keyward/core'
import type { SecretScanningOptions } from '@keyward/core/secret-scanning'
import { secretScanningWebHandler } from '@keyward/core/http'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { keepRawBodies, ownOptions, sendWeb, toWebRequest } from './web.js'

/** Options of {@link secretScanningPlugin}: the Keyward instance, the route's path and core's secret-scanning options. */
export interface SecretScanningPluginOptions extends SecretScanningOptions {
  keyward: Keyward
  /**
   * The route GitHub POSTs to, under the plugin's prefix.
   * @default '/github/secret-scanning'
   */
  path?: string
}

/**
 * A route for GitHub's secret-scanning partner program (core's `secretScanningWebHandler`): it
 * checks GitHub's signature over the raw body (this encapsulated plugin reads bodies unparsed),
 * revokes (or disables) every real key GitHub found in public code, calls `onLeak`, and answers with
 * a label per token.
 *
 * @example
 * await app.register(secretScanningPlugin, {
 *   keyward,
 *   onLeak: ({ key, url }) => notifyOwner(key.ownerId, `${key.name} was found in public code: ${url}`),
 * })
 */
export const secretScanningPlugin: FastifyPluginAsync<SecretScanningPluginOptions> = async (fastify, opts) => {
  const { keyward, path = '/github/secret-scanning', ...options } = ownOptions(opts)
  const handle = secretScanningWebHandler(keyward, options)
  keepRawBodies(fastify)
  fastify.post(path, async function keywardSecretScanning(request: FastifyRequest, reply: FastifyReply) {
    return sendWeb(reply, await handle(toWebRequest(request)))
  })
}
