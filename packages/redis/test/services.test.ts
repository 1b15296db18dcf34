// The test servers of scripts/services.mjs on a machine shared by several checkouts (Redis: it starts
// in milliseconds; PostgreSQL goes through the same code).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { startPrivate } from '../../../scripts/services.mjs'

const services = fileURLToPath(new URL('../../../scripts/services.mjs', import.meta.url))

/** Run `code` against services.mjs as a checkout whose service directory is `dir` would. */
function asCheckout(dir: string, code: string): { port: number; started?: boolean } {
  const env: NodeJS.ProcessEnv = { ...process.env, KEYWARD_SERVICES_DIR: dir }
  delete env.KEYWARD_PG_PORT
  delete env.KEYWARD_REDIS_PORT
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import * as s from ${JSON.stringify(services)}\n${code}`], {
    env,
    encoding: 'utf8',
  })
  if (r.status !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout) as { port: number; started?: boolean }
}
const start = (dir: string) =>
  asCheckout(dir, `const started = await s.startShared('redis'); console.log(JSON.stringify({ port: s.REDIS_PORT, started }))`)
const stop = (dir: string) => asCheckout(dir, `await s.stopRedis(); console.log(JSON.stringify({ port: s.REDIS_PORT }))`)

async function ping(port: number): Promise<string> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => undefined)
  try {
    await client.connect()
    return await client.ping()
  } catch {
    return 'down'
  } finally {
    client.disconnect()
  }
}

describe('test servers on a machine shared by two checkouts', () => {
  const a = mkdtempSync(join(tmpdir(), 'keyward-checkout-a-'))
  const b = mkdtempSync(join(tmpdir(), 'keyward-checkout-b-'))
  afterAll(() => {
    for (const dir of [a, b]) {
      try {
        stop(dir)
      } catch {}
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('gives each checkout its own server on its own port; one stopping its server leaves the other running', async () => {
    const first = start(a)
    const second = start(b)
    expect(first.started).toBe(true)
    expect(second.started).toBe(true)
    expect(first.port).not.toBe(second.port)
    expect(start(a)).toEqual({ port: first.port, started: false }) // the next run of a checkout finds its own
    stop(a)
    expect(await ping(first.port)).toBe('down')
    expect(await ping(second.port)).toBe('PONG')
  })

  it('moves a checkout to a free port when its recorded one is taken by another server, which it leaves alone', async () => {
    const first = start(a)
    const recorded = JSON.parse(readFileSync(join(b, 'ports.json'), 'utf8')) as { pg: number; redis: number }
    stop(b)
    writeFileSync(join(b, 'ports.json'), JSON.stringify({ ...recorded, redis: first.port }))
    const second = start(b)
    expect(second.started).toBe(true)
    expect(second.port).not.toBe(first.port)
    expect(JSON.parse(readFileSync(join(b, 'ports.json'), 'utf8'))).toMatchObject({ redis: second.port })
    expect(start(a)).toEqual({ port: first.port, started: false }) // a's server was not touched
  })

  it("gives every private server (the failure tests') a free port and a fresh directory", async () => {
    const servers = await Promise.all([startPrivate('redis'), startPrivate('redis')])
    try {
      expect(servers[0].port).not.toBe(servers[1].port)
      expect(servers[0].dir).not.toBe(servers[1].dir)
      for (const server of servers) expect(await ping(server.port)).toBe('PONG')
    } finally {
      await Promise.all(servers.map((s) => s.remove()))
    }
    for (const server of servers) expect(await ping(server.port)).toBe('down')
  })
})
