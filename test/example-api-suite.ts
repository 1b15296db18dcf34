import { spawn } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { Keyward, KeywardOptions, KeyStore } from '@keyward/core'

/**
 * The shared test of examples/express, examples/koa and examples/fastify: each is the same small API
 * (me, messages, contacts sync) on another framework, so one suite checks all three.
 */

/** Run the example's entry point on a free port (as `pnpm start` would), with `env` besides, and read its keys and address. */
export async function startExample(
  entry: URL,
  env: Record<string, string> = {},
): Promise<{ base: string; keys: Record<string, string>; output: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(entry)], {
    cwd: fileURLToPath(new URL('..', entry)),
    env: { ...process.env, PORT: '0', KEYWARD_PEPPER: 'an-example-test-pepper-of-32-bytes!!', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`example did not start:\n${out}`)), 20_000)
      child.once('exit', (code) => reject(new Error(`example exited with ${code}:\n${out}`)))
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (/Listening on http:\/\/\S+\n/.test(out)) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
  } catch (error) {
    await stop()
    throw error
  }
  const keys: Record<string, string> = {}
  for (const [, scope, key] of out.matchAll(/^\s+(\S+:\S+)\s+(acme_live_\S+)$/gm)) keys[scope!] = key!
  return { base: out.match(/Listening on (http:\/\/\S+)/)![1]!, keys, output: out, stop }
}

/** Run an entry point that is expected to stop by itself (a refusal), with `env` over the test's own; collect what it wrote. */
export function runToExit(
  entry: URL,
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(entry)], {
    cwd: fileURLToPath(new URL('..', entry)),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    }),
  )
}

/** The examples' refusal without a pepper: no built-in fallback, one line saying how to make one. */
export async function expectPepperRefusal(entry: URL): Promise<void> {
  const { code, stdout, stderr } = await runToExit(entry, { KEYWARD_PEPPER: undefined, PORT: '0' })
  expect(code).toBe(1)
  expect(stdout).toBe('') // no key was made
  expect(stderr.trim().split('\n')).toEqual([expect.stringContaining('KEYWARD_PEPPER is not set: make one with')])
  expect(stderr).toContain('openssl rand -base64 32')
}

/** What the suite needs from `@keyward/core` (passed in: this file resolves no package itself). */
export interface ExampleCore {
  createKeyward(options: KeywardOptions): Keyward<string>
  MemoryKeyStore: new () => KeyStore
}

/** Start the example at `entry` as a subprocess and call its API with the keys it printed. */
export function exampleApiSuite(name: string, entry: URL, core: ExampleCore): void {
  describe(name, () => {
    it('starts, and serves /v1/me, /v1/messages and /v1/contacts/sync to the right keys', async () => {
      const server = await startExample(entry)
      try {
        const { base, keys } = server
        const call = (method: string, path: string, key?: string, body?: unknown) =>
          fetch(base + path, {
            method,
            headers: { ...(key && { authorization: `Bearer ${key}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
            ...(body !== undefined && { body: JSON.stringify(body) }),
          })

        const me = await call('GET', '/v1/me', keys['contacts:sync'])
        expect([me.status, await me.json()]).toEqual([
          200,
          expect.objectContaining({ name: 'HubSpot CRM sync', scopes: ['contacts:sync'] }),
        ])

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

    it('refuses to start without KEYWARD_PEPPER (no built-in pepper), saying in one line how to make one', () => expectPepperRefusal(entry))

    it('on a taken port, says so in one line and exits non-zero', async () => {
      const holder = createServer()
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
      const port = (holder.address() as AddressInfo).port
      try {
        const { code, stdout, stderr } = await runToExit(entry, {
          KEYWARD_PEPPER: 'an-example-test-pepper-of-32-bytes!!',
          PORT: String(port),
        })
        expect(code).toBe(1)
        expect(stdout).not.toContain('Listening')
        expect(stderr.trim().split('\n')).toEqual([
          `Port ${port} on 127.0.0.1 is already in use: stop what holds it, or set PORT (PORT=0 picks a free one)`,
        ])
      } finally {
        holder.close()
      }
    })

    it('behind one proxy on loopback, throttles failed guesses under the address the proxy saw', async () => {
      const elsewhere = core.createKeyward({ prefix: 'acme_live', store: new core.MemoryKeyStore() })
      const foreign = (await elsewhere.create({ name: 'Elsewhere' })).key // right shape, unknown here
      await elsewhere.close()
      const server = await startExample(entry)
      try {
        const call = (key: string, forwardedFor: string) =>
          fetch(`${server.base}/v1/me`, { headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': forwardedFor } }).then(
            (r) => r.status,
          )
        // The example's default budget: 100 failed guesses an hour per address. Each guess claims
        // another address; the proxy (this test, on loopback) appends the one it saw.
        const statuses = new Set<number>()
        for (let i = 0; i < 100; i++) statuses.add(await call(foreign, `192.0.2.${i}, 203.0.113.5`))
        expect(statuses).toEqual(new Set([401]))
        expect(await call(server.keys['contacts:sync']!, '192.0.2.200, 203.0.113.5')).toBe(429)
        // Another client behind the same proxy, the one the guesses named included, is not locked out.
        expect(await call(server.keys['contacts:sync']!, '203.0.113.6')).toBe(200)
        expect(await call(server.keys['contacts:sync']!, '192.0.2.7')).toBe(200)
      } finally {
        await server.stop()
      }
    })
  })
}
