/**
 * `keyManagementHandler` on its own, as a Web runtime (Bun, Deno, a Worker, a Next.js route) uses
 * it: Web `Request` in, Web `Response` out. The adapters' shared suite covers the API in depth.
 */
import { afterAll, expect, it } from 'vitest'
import { keyManagementHandler } from '../src/http/index.js'
import { createKeyward, MemoryKeyStore } from '../src/index.js'

const keyward = createKeyward({ prefix: 'acme_test', store: new MemoryKeyStore(), pepper: 'a-core-management-test-pepper-32-bytes' })
afterAll(() => keyward.close())
const ORIGIN = 'https://app.acme.test'
const seen: Request[] = []
const keys = keyManagementHandler(keyward, {
  basePath: '/api/keys/',
  authorize: (request) => {
    seen.push(request)
    return request.headers.get('x-team') && { ownerId: request.headers.get('x-team')!, actorId: 'user-1' }
  },
  allowedOrigins: [ORIGIN],
})
const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
  keys(
    new Request(`https://any.host${path}`, {
      method: 'POST',
      body,
      headers: { origin: ORIGIN, 'x-team': 'team-w', 'content-type': 'application/json', ...headers },
      duplex: 'half',
    } as RequestInit),
  )

it('serves the API under basePath from a Web Request, with authorize given that request', async () => {
  expect([
    keys.handles('/api/keys'),
    keys.handles('/api/keys/'),
    keys.handles('/api/keys/abc/rotate'),
    keys.handles('/api/keysx'),
    keys.handles('/api/keys/a/b/c'),
    keys.handles('/other'),
  ]).toEqual([true, true, true, false, false, false])
  const created = await post('/api/keys', JSON.stringify({ name: 'From a Worker' }))
  expect(created.status).toBe(201)
  expect(created.headers.get('cache-control')).toBe('no-store')
  const { info } = (await created.json()) as { info: { id: string; ownerId: string } }
  expect(info.ownerId).toBe('team-w')
  expect(seen.at(-1)).toBeInstanceOf(Request)
  const listed = await keys(new Request('https://any.host/api/keys/?limit=5', { headers: { 'x-team': 'team-w' } }))
  expect(((await listed.json()) as { items: { id: string }[] }).items.map((item) => item.id)).toEqual([info.id])
  expect((await keys(new Request('https://any.host/api/keys', { headers: {} }))).status).toBe(401)
})

it('answers a path outside the API with a 404 problem, and reads a streamed body without Content-Length up to maxBodyBytes', async () => {
  const outside = await keys(new Request('https://any.host/elsewhere', { headers: { 'x-team': 'team-w' } }))
  expect([outside.status, outside.headers.get('content-type'), ((await outside.json()) as { code: string }).code]).toEqual([
    404,
    'application/problem+json',
    'not_found',
  ])
  const stream = (text: string) => new Blob([text]).stream()
  expect((await post('/api/keys', stream(JSON.stringify({ name: 'Streamed' })))).status).toBe(201)
  const tooBig = await post('/api/keys', stream(JSON.stringify({ name: 'x'.repeat(20_000) })))
  expect([tooBig.status, ((await tooBig.json()) as { code: string }).code]).toEqual([413, 'body_too_large'])
})

it('refuses invalid options when built', () => {
  expect(() => keyManagementHandler(keyward, { authorize: () => 'o', allowedOrigins: [ORIGIN], basePath: 'api/keys' })).toThrow(/basePath/)
  expect(() => keyManagementHandler(keyward, { authorize: () => 'o', allowedOrigins: [] })).toThrow(/allowedOrigins is required/)
})
