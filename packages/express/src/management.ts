import { keyManagementHandler, type KeyManagementOptions as CoreOptions } from '@keyward/core/http'
import type { Keyward } from '@keyward/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { sendWeb, toWebRequest } from './web.js'

/**
 * Options of {@link keyManagementRouter}: those of core's `keyManagementHandler`, with the Express
 * request given to `authorize` and `onError`. The mount path comes from `app.use(path, …)`.
 */
export type KeyManagementOptions = Omit<CoreOptions<Request>, 'basePath'>

/**
 * The JSON API behind an "API Keys" page (core's `keyManagementHandler`: list, create, get,
 * update, disable, enable, rotate, revoke, delete), for the keys of the owner `authorize(req)`
 * returns. Mount it under a path, behind your session middleware; other paths under it pass on.
 * Reads JSON bodies itself unless a body parser (`express.json()`) ran first. Throws a `TypeError`
 * at once for invalid options, `allowedOrigins` missing or empty included.
 *
 * @example
 * app.use('/api/keys', yourSessionMiddleware, keyManagementRouter(keyward, {
 *   authorize: (req) => req.user?.teamId ?? null,
 *   allowedOrigins: ['https://app.acme.com'],
 *   allowedScopes: ['messages:send', 'contacts:sync', 'workflows:trigger'],
 * }))
 */
export function keyManagementRouter<S extends string = string>(keyward: Keyward<S>, options: KeyManagementOptions): RequestHandler {
  const handle = keyManagementHandler<Request, S>(keyward, { clientAddress: (req) => req.ip, ...options })
  return async function keywardKeyManagement(req: Request, res: Response, next: NextFunction): Promise<void> {
    if (!handle.handles(req.path)) return next()
    await sendWeb(res, await handle(toWebRequest(req), req))
  }
}
