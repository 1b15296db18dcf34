/**
 * The demo as `pnpm start` runs it (a subprocess on a throwaway data folder): the pages, the
 * management API at /api/keys and the protected API at /v1, over plain HTTP. Then a restart on the
 * same SQLite file: keys made before it still work.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const cwd = fileURLToPath(new URL('..', import.meta.url))
let dataDir: string

interface Server {
  base: string
  origin: string
  output: () => string
  stop(): Promise<void>
}

/** `pnpm start` with PORT=0; resolves once it printed its URL. */
function startServer(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn('pnpm', ['start'], {
      cwd,
      env: { ...process.env, PORT: '0', KEYWARD_DEMO_DATA: dataDir, KEYWARD_PEPPER: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: pnpm, tsx and node stop together
    })
    let output = ''
    const timer = setTimeout(() => reject(new Error(`the demo did not print its URL:\n${output}`)), 30_000)
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done()
        child.once('exit', () => done())
        process.kill(-child.pid!, 'SIGTERM')
      })
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /running at (http:\/\/localhost:(\d+))/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve({ base: `http://127.0.0.1:${match[2]}`, origin: `http://127.0.0.1:${match[2]}`, output: () => output, stop })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`the demo exited with ${code}:\n${output}`)))
  })
}

let server: Server

async function request(method: string, path: string, options: { key?: string; body?: unknown; origin?: boolean } = {}) {
  const headers: Record<string, string> = {}
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`
  if (options.origin !== false && method !== 'GET') headers.origin = server.origin
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${server.base}${path}`, {
    method,
    headers,
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text, json: text.startsWith('{') ? JSON.parse(text) : undefined }
}

/** A request over node:http, which (unlike fetch) sends the Host header it is given, as a rebound browser would. */
function requestAs(host: string, method: string, path: string, body?: unknown) {
  const text = body === undefined ? undefined : JSON.stringify(body)
  const headers: Record<string, string> = { host, origin: `http://${host}` }
  if (text !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) })
  return new Promise<{ status: number; type: string | undefined; text: string }>((resolve, reject) => {
    const outgoing = httpRequest(`${server.base}${path}`, { method, headers }, (incoming) => {
      let received = ''
      incoming.setEncoding('utf8')
      incoming.on('data', (chunk: string) => (received += chunk))
      incoming.on('end', () => resolve({ status: incoming.statusCode!, type: incoming.headers['content-type'], text: received }))
    })
    outgoing.on('error', reject)
    outgoing.end(text)
  })
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'keyward-demo-http-'))
  server = await startServer()
})
afterAll(async () => {
  await server?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('the demo over HTTP', () => {
  it('serves the Developers page with the code icon second in the top bar, under a strict CSP', async () => {
    const page = await request('GET', '/developers')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'nonce-[^']+'/)
    const links = [...page.text.matchAll(/<li><a href="([^"]+)" aria-label="([^"]+)"/g)].map((m) => [m[1], m[2]])
    expect(links[1]).toEqual(['/developers', 'Developers'])
    expect(page.text).toContain('aria-current="page">API Keys</a>')
    expect(page.text).toContain('No API keys yet')
    expect(page.text).toContain('Yes, Create Key')
    expect(page.text).toContain('<label for="key-name">API Key Name</label>')
    expect(page.text).toContain('aria-label="Copy API key"')
    expect((await request('GET', '/')).status).toBe(200)
    expect((await request('GET', '/developers/endpoints')).text).toContain('/v1/workflows/:id/trigger')
  })

  it('creates a key through the management API and the key unlocks exactly its scopes', async () => {
    expect((await request('POST', '/api/keys', { body: { name: 'No origin' }, origin: false })).status).toBe(403)
    expect((await request('POST', '/api/keys', { body: { name: 'Everything', scopes: ['*'] } })).json).toMatchObject({
      status: 400,
      field: 'scopes[0]',
    })
    const created = await request('POST', '/api/keys', { body: { name: 'CRM sync', scopes: ['messages:send', 'contacts:sync'] } })
    expect(created.status).toBe(201)
    const { key, info } = created.json
    expect(info.ownerId).toBe('demo-team')

    expect((await request('GET', '/v1/me')).status).toBe(401)
    const me = await request('GET', '/v1/me', { key })
    expect(me.status).toBe(200)
    expect(me.json).toMatchObject({ team: 'demo-team', key: { id: info.id, name: 'CRM sync' } })
    expect(me.text).not.toContain(key)
    expect((await request('POST', '/v1/messages', { key, body: { to: '+15551234567', text: 'Hello' } })).status).toBe(202)
    expect((await request('POST', '/v1/messages', { key, body: { to: '' } })).status).toBe(400)
    expect((await request('POST', '/v1/contacts/sync', { key, body: { contacts: [{ email: 'a@b.test' }] } })).json).toMatchObject({
      synced: 1,
    })
    const workflow = await request('POST', '/v1/workflows/onboarding/trigger', { key })
    expect(workflow.status).toBe(403)
    expect(workflow.json).toMatchObject({ code: 'insufficient_scope', scope: 'workflows:trigger' })
    expect((await request('GET', '/v1/nothing', { key })).status).toBe(404)

    // The management API refuses the key itself.
    expect((await request('GET', '/api/keys', { key })).json).toMatchObject({ status: 403, code: 'api_key_not_accepted' })
    // The page's list shows it redacted, never in full.
    const list = await request('GET', '/developers/api-keys/list')
    expect(list.text).toContain(info.redacted)
    expect(list.text).not.toContain(key)
  })

  it('follows disable, enable, rotate and delete', async () => {
    const { key, info } = (await request('POST', '/api/keys', { body: { name: 'Workflows', scopes: ['workflows:trigger'] } })).json
    expect((await request('POST', '/v1/workflows/wf_1/trigger', { key })).json).toMatchObject({ workflow: 'wf_1', status: 'started' })
    expect((await request('POST', `/api/keys/${info.id}/disable`)).status).toBe(200)
    expect((await request('GET', '/v1/me', { key })).json).toMatchObject({ status: 401, code: 'disabled' })
    expect((await request('POST', `/api/keys/${info.id}/enable`)).status).toBe(200)
    expect((await request('GET', '/v1/me', { key })).status).toBe(200)
    const rotated = await request('POST', `/api/keys/${info.id}/rotate`, { body: { gracePeriodMs: 0 } })
    expect(rotated.status).toBe(200)
    expect((await request('GET', '/v1/me', { key: rotated.json.key })).status).toBe(200)
    expect((await request('GET', '/v1/me', { key })).json).toMatchObject({ status: 401, code: 'expired' })
    expect((await request('DELETE', `/api/keys/${rotated.json.info.id}`)).status).toBe(204)
    expect((await request('GET', '/v1/me', { key: rotated.json.key })).status).toBe(401)
  })

  it('answers only at its own host names: a DNS-rebinding page (Host and Origin evil.example) gets 421 and creates nothing', async () => {
    const port = new URL(server.base).port
    const evil = `evil.example:${port}`
    for (const [method, path, body] of [
      ['POST', '/api/keys', { name: 'Rebound', scopes: ['messages:send', 'contacts:sync', 'workflows:trigger'] }],
      ['GET', '/api/keys', undefined],
      ['GET', '/developers', undefined],
      ['GET', '/developers/api-keys/list', undefined],
      ['GET', '/v1/me', undefined],
    ] as const) {
      const refused = await requestAs(evil, method, path, body)
      expect(refused.status, `${method} ${path}`).toBe(421)
      expect(refused.type).toBe('application/problem+json')
      expect(JSON.parse(refused.text)).toMatchObject({ status: 421, code: 'host_not_allowed' })
      expect(refused.text).not.toMatch(/acme_live_\w{12}_/)
    }
    const names = (await request('GET', '/api/keys')).json.items.map((item: { name: string }) => item.name)
    expect(names).not.toContain('Rebound')
    // Its own names work, each as its own origin.
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `LOCALHOST:${port}`])
      expect((await requestAs(host, 'GET', '/developers')).status).toBe(200)
    const created = await requestAs(`localhost:${port}`, 'POST', '/api/keys', { name: 'From localhost' })
    expect(created.status).toBe(201)
    // A page on one of its names cannot act through another.
    const crossed = await new Promise<number>((resolve, reject) => {
      const outgoing = httpRequest(
        `${server.base}/api/keys`,
        { method: 'POST', headers: { host: `127.0.0.1:${port}`, origin: evil, 'content-type': 'application/json' } },
        (incoming) => {
          incoming.resume()
          resolve(incoming.statusCode!)
        },
      )
      outgoing.on('error', reject)
      outgoing.end('{"name":"Crossed"}')
    })
    expect(crossed).toBe(403)
  })

  it('answers an unknown address with 404: a page for a browser, problem+json for the APIs and other clients, never the address', async () => {
    const browser = await fetch(`${server.base}/nope/acme_live_abc`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } })
    const page = await browser.text()
    expect(browser.status).toBe(404)
    expect(browser.headers.get('content-type')).toMatch(/^text\/html/)
    expect(browser.headers.get('content-security-policy')).toMatch(/default-src 'none'/)
    expect(page).toContain('<h1>Page not found</h1>')
    expect(page).not.toContain('Cannot GET')
    expect(page).not.toContain('acme_live_abc')
    for (const [path, accept] of [
      ['/nope', 'application/json'],
      ['/nope', '*/*'],
      ['/api/nope', 'text/html'],
      ['/api/keys/a/b/c', 'text/html'],
    ] as const) {
      const response = await fetch(`${server.base}${path}`, { headers: { accept } })
      expect(response.status, path).toBe(404)
      expect(response.headers.get('content-type'), path).toBe('application/problem+json')
      expect(await response.json()).toMatchObject({ status: 404, code: 'not_found', title: 'Not Found' })
    }
  })

  it("lets the demo's users set a key's rate limit, credits and metadata within its caps, never past them", async () => {
    const created = await request('POST', '/api/keys', {
      body: { name: 'Budgeted', scopes: ['messages:send'], rateLimit: { limit: 10, windowMs: 60_000 }, metadata: { crm: 'hubspot' } },
    })
    expect(created.status).toBe(201)
    expect(created.json.info).toMatchObject({
      rateLimit: { limit: 10, windowMs: 60_000 },
      credits: { remaining: 10_000, refill: { amount: 10_000, intervalMs: 86_400_000 } },
      metadata: { crm: 'hubspot' },
    })
    const tooFast = await request('PATCH', `/api/keys/${created.json.info.id}`, { body: { rateLimit: { limit: 601, windowMs: 60_000 } } })
    expect(tooFast.json).toMatchObject({ status: 400, code: 'invalid_input', field: 'rateLimit' })
    const tooMany = await request('POST', '/api/keys', { body: { name: 'Greedy', credits: { remaining: 1_000_000 } } })
    expect(tooMany.json).toMatchObject({ status: 400, code: 'invalid_input', field: 'credits.remaining' })
  })

  it('keeps keys across a restart on the same SQLite file, and never prints a key', async () => {
    const { key } = (await request('POST', '/api/keys', { body: { name: 'Survives restarts' } })).json
    expect((await request('GET', '/v1/me', { key })).status).toBe(200)
    const before = server.output()
    await server.stop()
    server = await startServer()
    expect((await request('GET', '/v1/me', { key })).status).toBe(200)
    expect(before + server.output()).not.toContain(key)
    expect(server.output()).toMatch(/running at http:\/\/localhost:\d+/)
  })
})
