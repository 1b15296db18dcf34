import type { Keyward } from '@keyward/core'
import { keyManagementHandler, secretScanningWebHandler, type KeyManagementOptions as CoreOptions } from '@keyward/core/http'
import type { SecretScanningOptions } from '@keyward/core/secret-scanning'
import type { Context, Handler, MiddlewareHandler } from 'hono'

/**
 * Options of {@link keyManagement}: those of core's `keyManagementHandler`, with the Hono context
 * given to `authorize` and `onError`. `basePath` is where the API lives (`/api/keys`).
 */
export type KeyManagementOptions = CoreOptions<Context>

/**
 * The JSON API behind an "API Keys" page (core's framework-free `keyManagementHandler`: list,
 * create, get, update, disable, enable, rotate, revoke, delete), for the keys of the owner
 * `authorize(c)` returns, answered from `c.req.raw`. Requests outside `basePath` pass on. Throws a
 * `TypeError` at once for invalid options, `allowedOrigins` missing or empty included.
 *
 * @example
 * app.use('/api/keys/*', yourSession, keyManagement(keyward, {
 *   basePath: '/api/keys',
 *   authorize: (c) => c.get('user')?.teamId ?? null,
 *   allowedOrigins: ['https://app.acme.com'],
 *   allowedScopes: ['messages:send', 'contacts:sync'],
 * }))
 */
export function keyManagement<S extends string = string>(keyward: Keyward<S>, options: KeyManagementOptions): MiddlewareHandler {
  const handle = keyManagementHandler<Context, S>(keyward, options)
  return async function keywardKeyManagement(c, next) {
    if (!handle.handles(c.req.path)) return next()
    return withLength(await handle(c.req.raw, c))
  }
}

/**
 * `response` with its `Content-Length` set: Hono answers HEAD with the GET response's headers and no
 * body, so the length must be there before the body goes (the management answers are small JSON).
 */
async function withLength(response: Response): Promise<Response> {
  if (response.body === null || response.headers.has('content-length')) return response
  const body = new Uint8Array(await response.arrayBuffer())
  const sized = new Response(body, response)
  sized.headers.set('content-length', String(body.byteLength))
  return sized
}

/**
 * A route for GitHub's secret-scanning partner program (core's `secretScanningWebHandler`): it
 * checks GitHub's signature over the raw body, revokes (or disables) every real key GitHub found in
 * public code, calls `onLeak`, and answers with a label per token.
 *
 * @example
 * app.post('/github/secret-scanning', secretScanningRoute(keyward, { onLeak: ({ key, url }) => notify(key.ownerId, url) }))
 */
export function secretScanningRoute(keyward: Keyward, options: SecretScanningOptions = {}): Handler {
  const handle = secretScanningWebHandler(keyward, options)
  return function keywardSecretScanning(c) {
    return handle(c.req.raw)
  }
}
