import { startExample } from './start.js'
import { describe, expect, it } from 'vitest'

describe('example-express', () => {
  it('starts, and serves /v1/me, /v1/messages and /v1/contacts/sync to the right keys', async () => {
    const server = await startExample(new URL('../src/index.ts', import.meta.url))
    try {
      const { base, keys } = server
      const call = (method: string, path: string, key?: string, body?: unknown) =>
        fetch(base + path, {
          method,
          headers: { ...(key && { authorization: `Bearer ${key}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        })

      const me = await call('GET', '/v1/me', keys['contacts:sync'])
      expect([me.status, await me.json()]).toEqual([200, expect.objectContaining({ name: 'HubSpot CRM sync', scopes: ['contacts:sync'] })])

      const sent = await call('POST', '/v1/messages', keys['messages:send'], { to: '+15550100' })
      expect([sent.status, await sent.json()]).toEqual([202, { queued: true, to: '+15550100', sentBy: 'Messaging bot' }])
      const refused = await call('POST', '/v1/messages', keys['contacts:sync'], { to: '+15550100' })
      expect(refused.status).toBe(403)
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="api", error="insufficient_scope", scope="messages:send"')

      const synced = await call('POST', '/v1/contacts/sync', keys['contacts:sync'], { contacts: [{}, {}, {}] })
      expect([synced.status, await synced.json()]).toEqual([200, { synced: 3, by: 'HubSpot CRM sync' }])
      expect((await call('POST', '/v1/contacts/sync', keys['messages:send'], { contacts: [] })).status).toBe(403)

      const anonymous = await call('GET', '/v1/me')
      expect([anonymous.status, anonymous.headers.get('content-type')]).toEqual([401, 'application/problem+json'])
      const truncated = await call('GET', '/v1/me', keys['contacts:sync']!.slice(0, -2))
      expect((await truncated.json()).code).toBe('malformed')
    } finally {
      await server.stop()
    }
  })
})
