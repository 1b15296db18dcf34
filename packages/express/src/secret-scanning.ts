import type { Keyward } from '@keyward/core'
import type { SecretScanningOptions } from '@keyward/core/secret-scanning'
import { secretScanningWebHandler } from '@keyward/core/http'
import type { Request, RequestHandler, Response } from 'express'
import { sendWeb, toWebRequest } from './web.js'

/**
 * An Express route for GitHub's secret-scanning partner program (core's `secretScanningWebHandler`):
 * it checks GitHub's signature over the raw body, revokes (or disables) every real key GitHub found
 * in public code, calls `onLeak`, and answers with a label per token. Mount it before any body
 * parser: the signature covers the raw bytes.
 *
 * @example
 * app.post('/github/secret-scanning', secretScanningRoute(keyward, {
 *   onLeak: ({ key, url }) => notifyOwner(key.ownerId, `${key.name} was found in public code: ${url}`),
 * }))
 */
export function secretScanningRoute(keyward: Keyward, options: SecretScanningOptions = {}): RequestHandler {
  const handle = secretScanningWebHandler(keyward, options)
  return async function keywardSecretScanning(req: Request, res: Response): Promise<void> {
    if (req.body !== undefined)
      throw new TypeError('secretScanningRoute needs the raw body: mount it before express.json() or express.text()')
    await sendWeb(res, await handle(toWebRequest(req)))
  }
}
