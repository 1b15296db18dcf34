import { beforeAll, expect, it } from 'vitest'

// Next.js calls a route handler with the Request (and a context): so does this test, on the route files as written.
process.env.KEYWARD_PEPPER = 'a-nextjs-example-test-pepper-of-32-bytes'
const { keyward } = await import('../src/lib/keyward.js')
const { GET } = await import('../src/app/api/me/route.js')
const { POST } = await import('../src/app/api/messages/route.js')

const keys = { messages: '', crm: '' }
beforeAll(async () => {
  keys.messages = (await keyward.create({ name: 'Messaging bot', scopes: ['messages:send'] })).key
  keys.crm = (await keyward.create({ name: 'HubSpot CRM sync', scopes: ['contacts:sync'] })).key
  return () => keyward.close()
})

const request = (method: string, key?: string, body?: unknown) =>
  new Request('https://app.acme.test/api/x', {
    method,
    headers: { ...(key && { authorization: `Bearer ${key}` }), 'x-real-ip': '203.0.113.9' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
const context = { params: Promise.resolve({}) }

it('GET /api/me answers the key it was called with, and 401 without one', async () => {
  const me = await GET(request('GET', keys.crm), context)
  expect([me.status, await me.json()]).toEqual([200, expect.objectContaining({ name: 'HubSpot CRM sync', scopes: ['contacts:sync'] })])
  const anonymous = await GET(request('GET'), context)
  expect([anonymous.status, anonymous.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="api"'])
})

it('POST /api/messages needs messages:send: 202 with it, 403 naming the scope without it', async () => {
  const sent = await POST(request('POST', keys.messages, { to: '+15550100' }), context)
  expect([sent.status, await sent.json()]).toEqual([202, { queued: true, to: '+15550100', sentBy: 'Messaging bot' }])
  const refused = await POST(request('POST', keys.crm, {}), context)
  expect([refused.status, refused.headers.get('www-authenticate')]).toEqual([
    403,
    'Bearer realm="api", error="insufficient_scope", scope="messages:send"',
  ])
})
