import { randomUUID } from 'node:crypto'
import type { Keyward } from '@keyward/core'
import { apiKeyAuth, requireScopes } from '@keyward/express'
import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import type { DemoScope } from './scopes.js'

function badRequest(res: Response, detail: string): void {
  res
    .status(400)
    .type('application/problem+json')
    .json({ type: 'about:blank', title: 'Bad Request', status: 400, code: 'invalid_request', detail })
}

/**
 * The protected API a created key unlocks: `GET /v1/me` for any valid key, and one route per scope.
 * Mount it at `/v1`.
 */
export function protectedApi(keyward: Keyward<DemoScope>): Router {
  const api = express.Router()
  api.use(apiKeyAuth(keyward, { realm: 'acme-relay' }))
  api.use(express.json({ limit: '64kb' }))

  api.get('/me', (req, res) => {
    const key = req.apiKey!
    res.json({ team: key.ownerId, key: { id: key.id, name: key.name, redacted: key.redacted, scopes: key.scopes } })
  })

  api.post('/messages', requireScopes<DemoScope>('messages:send'), (req, res) => {
    const { to, text } = (req.body ?? {}) as { to?: unknown; text?: unknown }
    if (typeof to !== 'string' || typeof text !== 'string' || to === '' || text === '')
      return badRequest(res, 'Send { "to": "+15551234567", "text": "Hello" }.')
    res.status(202).json({ id: `msg_${randomUUID()}`, to, status: 'queued', sentBy: req.apiKey!.name })
  })

  api.post('/contacts/sync', requireScopes<DemoScope>('contacts:sync'), (req, res) => {
    const { contacts = [] } = (req.body ?? {}) as { contacts?: unknown }
    if (!Array.isArray(contacts)) return badRequest(res, 'Send { "contacts": [{ "email": "…", "name": "…" }] }.')
    res.json({ synced: contacts.length, sentBy: req.apiKey!.name })
  })

  api.post('/workflows/:id/trigger', requireScopes<DemoScope>('workflows:trigger'), (req, res) => {
    res.status(202).json({ workflow: req.params.id, run: `run_${randomUUID()}`, status: 'started', sentBy: req.apiKey!.name })
  })

  api.use((_req: Request, res: Response) => {
    res.status(404).type('application/problem+json').json({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      code: 'not_found',
      detail: 'No such endpoint. See /developers/endpoints.',
    })
  })
  // Body-parser errors (malformed JSON, too large) as problem+json.
  api.use((error: { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.status === 413 ? 413 : 400
    res
      .status(status)
      .type('application/problem+json')
      .json({
        type: 'about:blank',
        title: status === 413 ? 'Content Too Large' : 'Bad Request',
        status,
        code: 'invalid_request',
        detail: status === 413 ? 'The body is too large.' : 'The body is not valid JSON.',
      })
  })
  return api
}
