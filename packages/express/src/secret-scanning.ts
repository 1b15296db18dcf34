import { secretScanningHandler, type Keyward, type SecretScanningOptions } from '@keyward/core'
import type { Request, RequestHandler, Response } from 'express'
import { BodyTooLargeError, readRawBody } from './body.js'

const MAX_BODY_BYTES = 1024 * 1024

/**
 * An Express route for GitHub's secret-scanning partner program: it checks GitHub's signature over
 * the raw body, revokes (or disables) every real key GitHub found in public code, calls `onLeak`, and
 * answers with a label per token. Mount it before any body parser: the signature covers the raw bytes.
 *
 * @example
 * app.post('/github/secret-scanning', secretScanningRoute(keyward, {
 *   onLeak: ({ key, url }) => notifyOwner(key.ownerId, `${key.name} was found in public code: ${url}`),
 * }))
 */
export function secretScanningRoute(keyward: Keyward, options: SecretScanningOptions = {}): RequestHandler {
  const handle = secretScanningHandler(keyward, options)
  return async function keywardSecretScanning(req: Request, res: Response): Promise<void> {
    if (req.body !== undefined)
      throw new TypeError('secretScanningRoute needs the raw body: mount it before express.json() or express.text()')
    let body: string
    try {
      body = await readRawBody(req, MAX_BODY_BYTES)
    } catch (error) {
      res.status(error instanceof BodyTooLargeError ? 413 : 400).json({ error: 'could not read the request body' })
      return
    }
    const result = await handle({
      body,
      keyIdentifier: req.get('github-public-key-identifier'),
      signature: req.get('github-public-key-signature'),
    })
    res.status(result.status).set('cache-control', 'no-store').json(result.body)
  }
}
