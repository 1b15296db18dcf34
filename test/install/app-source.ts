/**
 * The scratch app's server, as a team would write it against the published packages: Express, Koa
 * and Fastify, each behind Keyward, on the stores named on the command line. Written out twice by
 * the test, as ESM (`.ts` in a `"type": "module"` package) and as CommonJS (`.cts`), and compiled
 * with tsc in strict mode without skipLibCheck. It prints one JSON line: the status each framework
 * answered, per store.
 */
export function appSource(stores: readonly ('sqlite' | 'postgres' | 'redis' | 'memory')[]): string {
  const storeImports = {
    sqlite: "import { SqliteKeyStore } from '@keyward/sqlite'",
    postgres: "import { PostgresKeyStore } from '@keyward/postgres'",
    redis: "import { RedisKeyStore } from '@keyward/redis'",
    memory: '',
  }
  const storeMakers = {
    sqlite: "sqlite: () => new SqliteKeyStore({ connection: need('SQLITE_FILE') }),",
    postgres: "postgres: () => new PostgresKeyStore({ connection: need('PG_URL'), namespace: need('NAMESPACE') }),",
    redis: "redis: () => new RedisKeyStore({ connection: need('REDIS_URL'), namespace: need('NAMESPACE') + ':' }),",
    memory: 'memory: () => new MemoryKeyStore(),',
  }
  return `import type { AddressInfo } from 'node:net'
import { createKeyward, MemoryKeyStore, type Keyward, type KeyStore } from '@keyward/core'
import { apiKeyAuth as expressAuth, requireScopes as expressScopes } from '@keyward/express'
import { apiKeyAuth as fastifyAuth } from '@keyward/fastify'
import { apiKeyAuth as koaAuth } from '@keyward/koa'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
${stores.map((s) => storeImports[s]).join('\n')}

type Scope = 'messages:send' | 'contacts:sync'
type Serve = (keyward: Keyward<Scope>) => Promise<{ base: string; close(): Promise<void> }>

function need(name: string): string {
  const value = process.env[name]
  if (value === undefined) throw new Error(name + ' is not set')
  return value
}

const stores: Record<string, () => KeyStore & { close(): Promise<void> | void }> = {
  ${stores.map((s) => storeMakers[s]).join('\n  ')}
}

const frameworks: Record<string, Serve> = {
  async express(keyward) {
    const app = express()
    app.use('/v1', expressAuth(keyward))
    app.get('/v1/me', (req, res) => {
      res.json({ name: req.apiKey?.name ?? null })
    })
    app.post('/v1/messages', expressScopes<Scope>('messages:send'), (_req, res) => {
      res.status(202).json({ queued: true })
    })
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    const { port } = server.address() as AddressInfo
    return { base: 'http://127.0.0.1:' + port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
  },
  async koa(keyward) {
    const app = new Koa()
    app.use(koaAuth(keyward))
    app.use((ctx) => {
      ctx.body = { name: ctx.state.apiKey?.name ?? null }
    })
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    const { port } = server.address() as AddressInfo
    return { base: 'http://127.0.0.1:' + port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
  },
  async fastify(keyward) {
    const app = Fastify()
    await app.register(fastifyAuth, { keyward })
    app.get('/v1/me', async (request) => ({ name: request.apiKey?.name ?? null }))
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    return { base, close: () => app.close() }
  },
}

async function main(): Promise<void> {
  const answers: Record<string, Record<string, number[]>> = {}
  for (const [storeName, makeStore] of Object.entries(stores)) {
    const store = makeStore()
    const keyward = createKeyward<Scope>({ prefix: 'acme_live', store, pepper: need('KEYWARD_PEPPER') })
    await keyward.ready()
    const { key } = await keyward.create({ name: 'Installed', scopes: ['contacts:sync'] })
    answers[storeName] = {}
    for (const [frameworkName, serve] of Object.entries(frameworks)) {
      const server = await serve(keyward)
      const me = await fetch(server.base + '/v1/me', { headers: { authorization: 'Bearer ' + key } })
      const body = (await me.json()) as { name?: string }
      const anonymous = await fetch(server.base + '/v1/me')
      const scoped = frameworkName === 'express' ? (await fetch(server.base + '/v1/messages', { method: 'POST', headers: { 'x-api-key': key } })).status : 403
      answers[storeName][frameworkName] = [me.status, body.name === 'Installed' ? 1 : 0, anonymous.status, scoped]
      await server.close()
    }
    await keyward.close()
    await store.close() // the instance leaves the store open: it may be shared
  }
  console.log(JSON.stringify(answers))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
`
}
