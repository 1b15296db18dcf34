import type { Keyward } from '@keyward/core'
import { keyManagementHandler, type KeyManagementOptions as CoreOptions } from '@keyward/core/http'
import type { Context, Middleware, Next } from 'koa'
import { sendWeb, toWebRequest } from './web.js'

/**
 * Options of {@link keyManagementMiddleware}: those of core's `keyManagementHandler`, with the Koa
 * context given to `authorize` and `onError`. `basePath` is where the API lives (`/api/keys`);
 * leave it out under `koa-mount`, which strips the mount path itself.
 */
export type KeyManagementOptions = CoreOptions<Context>

/**
 * The JSON API behind an "API Keys" page (core's `keyManagementHandler`: list, create, get,
 * update, disable, enable, rotate, revoke, delete), for the keys of the owner `authorize(ctx)`
 * returns. Requests outside `basePath` pass on. Reads JSON bodies itself unless a body parser ran
 * first. Throws a `TypeError` at once for invalid options, `allowedOrigins` missing or empty included.
 *
 * @example
 * app.use(keyManagementMiddleware(keyward, {
 *   basePath: '/api/keys',
 *   authorize: (ctx) => ctx.state.user?.teamId ?? null,
 *   allowedOrigins: ['https://app.acme.com'],
 *   allowedScopes: ['messages:send', 'contacts:sync'],
 * }))
 */
export function keyManagementMiddleware<S extends string = string>(keyward: Keyward<S>, options: KeyManagementOptions): Middleware {
  const handle = keyManagementHandler<Context, S>(keyward, { clientAddress: (ctx) => ctx.ip, ...options })
  return async function keywardKeyManagement(ctx: Context, next: Next): Promise<void> {
    if (!handle.handles(ctx.path)) return next()
    await sendWeb(ctx, await handle(toWebRequest(ctx), ctx))
  }
}
