import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { BUN } from '@keyward/runtime-tests'
import { expect, it } from 'vitest'

// The Hono example under Bun (npm @oven/bun-linux-x64), running its TypeScript as written.
it('runs on Bun: the keys it made open their routes, and refusals are the shared ones', async () => {
  const child = spawn(BUN, ['--conditions=@keyward/source', fileURLToPath(new URL('../src/bun.ts', import.meta.url))], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, NODE_OPTIONS: '', PORT: '0', KEYWARD_PEPPER: 'an-example-test-pepper-of-32-bytes!!' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  try {
    let out = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Bun did not start:\n${out}`)), 20_000)
      child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()))
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (/Listening on http:\/\/\S+\n/.test(out)) resolve(clearTimeout(timer))
      })
      child.once('exit', (code) => reject(new Error(`Bun exited with ${code}:\n${out}`)))
    })
    const base = out.match(/Listening on (http:\/\/\S+)/)![1]!
    const keys = Object.fromEntries([...out.matchAll(/^\s+(\S+:\S+)\s+(acme_live_\S+)$/gm)].map(([, scope, key]) => [scope!, key!]))
    const call = (method: string, path: string, key?: string) =>
      fetch(base + path, { method, headers: key ? { authorization: `Bearer ${key}` } : {}, ...(method === 'POST' && { body: '{}' }) })

    const me = await call('GET', '/v1/me', keys['contacts:sync'])
    expect([me.status, await me.json()]).toEqual([200, expect.objectContaining({ name: 'HubSpot CRM sync' })])
    expect((await call('POST', '/v1/messages', keys['messages:send'])).status).toBe(202)
    const refused = await call('POST', '/v1/messages', keys['contacts:sync'])
    expect([refused.status, refused.headers.get('www-authenticate')]).toEqual([
      403,
      'Bearer realm="api", error="insufficient_scope", scope="messages:send"',
    ])
    const anonymous = await call('GET', '/v1/me')
    expect([anonymous.status, anonymous.headers.get('content-type')]).toEqual([401, 'application/problem+json'])
  } finally {
    child.kill()
  }
})
