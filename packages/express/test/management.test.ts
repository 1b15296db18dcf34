/**
 * What is Express's own in `keyManagementRouter`: bodies a parser already read, the Express request
 * in `authorize`, mounting inside routers. The behaviour itself (every answer, byte for byte) is the
 * shared conformance suite that `http.test.ts` runs.
 */
import { connect } from 'node:net'
import { createKeyward, MemoryKeyStore } from '@keyward/core'
import { headerObject, rawRequest } from '@keyward/core/testing'
import express, { type Request } from 'express'
import { afterAll, expect, it } from 'vitest'
import { keyManagementRouter } from '../src/index.js'

const ORIGIN = 'https://app.acme.test'
const keyward = createKeyward({ prefix: 'acme_test', store: new MemoryKeyStore(), pepper: 'an-express-management-test-pepper-32!!' })
const servers: { close(): void }[] = []
afterAll(async () => {
  for (const server of servers) server.close()
  await keyward.close()
})

async function serve(app: express.Express): Promise<number> {
  app.disable('x-powered-by')
  const server = app.listen(0, '127.0.0.1')
  servers.push(server)
  await new Promise((resolve) => server.once('listening', resolve))
  return (server.address() as { port: number }).port
}

function call(port: number, method: string, path: string, body?: unknown, headers: [string, string][] = []) {
  const sent: [string, string][] = [
    ['Origin', ORIGIN],
    ...headers,
    ...(body === undefined ? [] : [['Content-Type', 'application/json'] as [string, string]]),
  ]
  return rawRequest(connect, port, method, path, sent, body === undefined ? undefined : JSON.stringify(body)).then((response) => ({
    status: response.status,
    headers: headerObject(response),
    json: response.body === '' ? undefined : JSON.parse(response.body),
  }))
}

it('reads a body that express.json() already parsed', async () => {
  const app = express()
  app.use(express.json())
  app.use('/api/keys', keyManagementRouter(keyward, { authorize: () => 'team-parsed', allowedOrigins: [ORIGIN] }))
  const port = await serve(app)
  const created = await call(port, 'POST', '/api/keys', { name: 'Parsed first', scopes: ['messages:send'] })
  expect([created.status, created.json.info.scopes]).toEqual([201, ['messages:send']])
  const rotated = await call(port, 'POST', `/api/keys/${created.json.info.id}/rotate`, { gracePeriodMs: 1000 })
  expect(rotated.status).toBe(200)
  expect((await call(port, 'POST', '/api/keys', { name: 'Parsed', credits: { remaining: 1e9 } })).json).toMatchObject({
    status: 400,
    field: 'credits',
  })
})

it('gives authorize the Express request (req.get, req.path), as the demo uses it', async () => {
  const seen: string[] = []
  const app = express()
  const authorize = (req: Request) => {
    seen.push(`${req.get('x-team')} ${req.baseUrl}`)
    return req.get('x-team') ?? null
  }
  app.use('/api/keys', keyManagementRouter(keyward, { authorize, allowedOrigins: [ORIGIN] }))
  const port = await serve(app)
  const created = await call(port, 'POST', '/api/keys', { name: 'Team C key' }, [['X-Team', 'team-c']])
  expect(created.json.info.ownerId).toBe('team-c')
  expect((await call(port, 'GET', '/api/keys')).status).toBe(401)
  expect(seen).toEqual(['team-c /api/keys', 'undefined /api/keys'])
})

it('works inside nested routers and passes other paths on to the next handler', async () => {
  const app = express()
  const api = express.Router()
  api.use('/keys', keyManagementRouter(keyward, { authorize: () => 'team-nested', allowedOrigins: [ORIGIN] }))
  api.use((_req, res) => void res.status(418).json({ next: true }))
  app.use('/api/v2', api)
  const port = await serve(app)
  const created = await call(port, 'POST', '/api/v2/keys', { name: 'Nested' })
  expect(created.status).toBe(201)
  expect((await call(port, 'GET', `/api/v2/keys/${created.json.info.id}`)).json.name).toBe('Nested')
  expect((await call(port, 'GET', '/api/v2/keys?limit=1')).json.items).toHaveLength(1)
  const other = await call(port, 'GET', '/api/v2/keys/a/b/c')
  expect([other.status, other.json]).toEqual([418, { next: true }])
  expect((await call(port, 'GET', '/api/v2/other')).status).toBe(418)
})
