/**
 * `secretScanningHandler` over a Web `Request`: the raw body (GitHub signs its bytes) and GitHub's
 * two signature headers in, a JSON `Response` out. Express, Koa and Fastify mount it alike.
 */
import type { Keyward } from '../api.js'
import { secretScanningHandler, type SecretScanningOptions } from '../secret-scanning.js'
import { readLimitedText } from './web.js'

/** Largest report read: GitHub sends at most 1000 matches. */
const MAX_BODY_BYTES = 1024 * 1024

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  })
}

/**
 * A Web handler for GitHub's secret-scanning partner program: it checks GitHub's signature over the
 * raw body, revokes (or disables) every real key GitHub found in public code, calls `onLeak`, and
 * answers with a label per token. 413 past 1 MiB.
 *
 * @example
 * const scanning = secretScanningWebHandler(keyward, { onLeak: ({ key, url }) => notifyOwner(key.ownerId, url) })
 * export const POST = (request: Request) => scanning(request) // a Next.js route handler
 */
export function secretScanningWebHandler(keyward: Keyward, options: SecretScanningOptions = {}): (request: Request) => Promise<Response> {
  const handle = secretScanningHandler(keyward, options)
  return async function keywardSecretScanning(request: Request): Promise<Response> {
    const body = await readLimitedText(request, MAX_BODY_BYTES).catch(() => undefined)
    if (body === undefined) return json(400, { error: 'could not read the request body' })
    if (body === null) return json(413, { error: 'could not read the request body' })
    const result = await handle({
      body,
      keyIdentifier: request.headers.get('github-public-key-identifier') ?? undefined,
      signature: request.headers.get('github-public-key-signature') ?? undefined,
    })
    return json(result.status, result.body)
  }
}
