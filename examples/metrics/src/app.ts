import type { Keyward } from '@keyward/core'
import { apiKeyAuth } from '@keyward/express'
import express, { type Express } from 'express'

export type Scope = 'messages:send' | 'contacts:sync'

/**
 * The API: every /v1 route needs an API key. Each route passes its scopes to `apiKeyAuth`, so the
 * scope check is part of the verification and a key without them is counted as
 * `insufficient_scope` (with `requireScopes` after a scope-less `apiKeyAuth` it would count as `ok`).
 */
export function buildApp(keyward: Keyward<Scope>): Express {
  const app = express()
  app.disable('x-powered-by')
  app.use(express.json())

  app.get('/v1/me', apiKeyAuth(keyward), (req, res) => {
    const key = req.apiKey!
    res.json({ id: key.id, name: key.name, scopes: key.scopes })
  })
  app.post('/v1/messages', apiKeyAuth(keyward, { scopes: ['messages:send'] }), (req, res) => {
    res.status(202).json({ queued: true, to: req.body?.to ?? null, sentBy: req.apiKey!.name })
  })
  return app
}
