import type { Keyward } from '@keyward/core'
import { apiKeyAuth, requireScopes } from '@keyward/express'
import express, { type Express } from 'express'

export type Scope = 'messages:send' | 'contacts:sync'

/** The API: every /v1 route needs an API key; two routes need a scope. */
export function buildApp(keyward: Keyward<Scope>): Express {
  const app = express()
  app.disable('x-powered-by')
  // Behind a reverse proxy, req.ip (the address failed-key throttling counts) must be the address
  // the proxy saw, not one the client wrote into X-Forwarded-For. Trust exactly your proxies: here
  // one on this machine; `1` trusts one hop of any address (only if the app is unreachable but
  // through the proxy). Never `true`: the client would then choose its own address.
  app.set('trust proxy', 'loopback')
  app.use(express.json())
  app.use('/v1', apiKeyAuth(keyward))

  app.get('/v1/me', (req, res) => {
    const key = req.apiKey!
    res.json({ id: key.id, name: key.name, scopes: key.scopes })
  })
  app.post('/v1/messages', requireScopes<Scope>('messages:send'), (req, res) => {
    res.status(202).json({ queued: true, to: req.body?.to ?? null, sentBy: req.apiKey!.name })
  })
  app.post('/v1/contacts/sync', requireScopes<Scope>('contacts:sync'), (req, res) => {
    res.json({ synced: Array.isArray(req.body?.contacts) ? req.body.contacts.length : 0, by: req.apiKey!.name })
  })
  return app
}
