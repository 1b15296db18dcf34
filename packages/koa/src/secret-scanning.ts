import type { Keyward } from '@keyward/core'
import type { SecretScanningOptions } from '@keyward/core/secret-scanning'
import { secretScanningWebHandler } from '@keyward/core/http'
import type { Context, Middleware } from 'koa'
import { sendWeb, toWebRequest } from './web.js'

/**
 * Koa middleware for GitHub's secret-scanning partner program (core's `secretScanningWebHandler`):
 * it checks GitHub's signature over the raw body, revokes (or disables) every real key GitHub found
 * in public code, calls `onLeak`, and answers with a label per token. It answers every request it
 * is given: mount it on its route, before any body parser (the signature covers the raw bytes).
 *
 * @example
 * router.post('/github/secret-scanning', secretScanningMiddleware(keyward, {
 *   onLeak: ({ key, url }) => notifyOwner(key.ownerId, `${key.name} was found in public code: ${url}`),
 * }))
 */
export function secretScanningMiddleware(keyward: Keyward, options: SecretScanningOptions = {}): Middleware {
  const handle = secretScanningWebHandler(keyward, options)
  return async function keywardSecretScanning(ctx: Context): Promise<void> {
    if ((ctx.request as { body?: unknown }).body !== undefined)
      throw new TypeError('secretScanningMiddleware needs the raw body: mount it before any body parser')
    await sendWeb(ctx, await handle(toWebRequest(ctx)))
  }
}
