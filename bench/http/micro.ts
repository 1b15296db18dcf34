/**
 * Each middleware alone against a synthetic request (no sockets, no framework routing), and
 * Keyward's cost as the store grows to 1, 100, 10k and 1M keys. Run by run.ts in a child process
 * with a large heap: `micro.ts <roundMs> <rounds> <maxKeys>`.
 */
import { createRequire } from 'node:module'
import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import { createKeyward, type Keyward, MemoryKeyStore } from '@keyward/core'
import { apiKeyAuth as expressAuth } from '@keyward/express'
import { apiKeyAuth as fastifyAuth } from '@keyward/fastify'
import { apiKeyAuth as koaAuth } from '@keyward/koa'

const require = createRequire(import.meta.url)
const [roundMs, rounds, maxKeys] = process.argv.slice(2).map(Number) as [number, number, number]
const PEPPER = 'bench-pepper-0123456789-0123456789-abcdef'
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const noop = () => {}
const HEADERS = (key: string) => ['Host', '127.0.0.1', 'User-Agent', 'autocannon', 'Accept', '*/*', 'Authorization', `Bearer ${key}`]

/** ns per call of `run(i)`, median of interleaved rounds (each candidate gets one slice per round). */
async function measure(candidates: Record<string, (i: number) => unknown>): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {}
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(candidates)) {
      let n = 0
      const start = performance.now()
      const end = start + roundMs
      while (performance.now() < end) {
        for (let j = 0; j < 64; j++) await run(n++)
      }
      ;(samples[name] ??= []).push(((performance.now() - start) * 1e6) / n)
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, median(xs)]))
}

async function keysIn(count: number): Promise<{ keyward: Keyward; keys: string[] }> {
  const keyward = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: PEPPER })
  const keys: string[] = []
  for (let i = 0; i < count; i++) {
    const { key } = await keyward.create({ name: 'k' })
    if (keys.length < 1000) keys.push(key) // the traffic: a hot set of up to 1,000 integrations
  }
  return { keyward, keys }
}

// ── middleware alone ──
const { keyward, keys } = await keysIn(1)
const key = keys[0]!
const rawHeaders = HEADERS(key)

const express = expressAuth(keyward)
const expressReq = { rawHeaders, ip: '127.0.0.1' } as never
const expressRes = { set: noop } as never

const koa = koaAuth(keyward)
const koaCtx = { req: { rawHeaders }, ip: '127.0.0.1', state: {}, set: noop } as never

const hooks: Record<string, (request: unknown, reply: unknown) => Promise<unknown>> = {}
const fakeFastify = {
  hasRequestDecorator: () => true,
  addHook: (name: string, fn: never) => (hooks[name] = fn),
}
await new Promise<void>((resolve, reject) =>
  (fastifyAuth as unknown as (f: unknown, o: unknown, d: (e?: Error) => void) => void)(fakeFastify, { keyward }, (e) =>
    e ? reject(e) : resolve(),
  ),
)
const routeConfig = {}
const fastifyRequest = { raw: { rawHeaders }, ip: '127.0.0.1', routeOptions: { config: routeConfig, url: '/json' } }
const fastifyReply = { headers: noop }

const verifyBearerAuthFactory = require('@fastify/bearer-auth/lib/verify-bearer-auth-factory.js') as (
  o: unknown,
) => (request: unknown, reply: unknown, done: (error?: unknown) => void) => void
const bearer = verifyBearerAuthFactory({ keys: [key] })
const bearerRequest = { raw: { headers: { authorization: `Bearer ${key}` } }, log: { error: noop } }

const passport = require('passport') as typeof import('passport')
const { HeaderAPIKeyStrategy } = require('passport-headerapikey')
const users = new Map([[key, { id: 'u' }]])
passport.use(
  new HeaderAPIKeyStrategy({ header: 'Authorization', prefix: 'Bearer ' }, false, (k: string, done: (e: unknown, u?: unknown) => void) =>
    done(null, users.get(k) ?? false),
  ),
)
const passportInit = passport.initialize()
const passportAuth = passport.authenticate('headerapikey', { session: false })
const passportReq = new IncomingMessage(new Socket())
passportReq.headers = { authorization: `Bearer ${key}` }

const handWritten = async (ctx: { get(name: string): string; state: Record<string, unknown> }, next: () => Promise<void>) => {
  const header = ctx.get('authorization')
  const user = header.startsWith('Bearer ') ? users.get(header.slice(7)) : undefined
  if (!user) throw new Error('refused')
  ctx.state.user = user
  await next()
}
const handCtx = { get: (name: string) => (name === 'authorization' ? `Bearer ${key}` : ''), state: {} }
const resolved = Promise.resolve()

const alone = await measure({
  'keyward.verify (floor for the adapters)': () => keyward.verify(key, { source: '127.0.0.1' }),
  '@keyward/express': () => new Promise<void>((resolve) => void express(expressReq, expressRes, () => resolve())),
  '@keyward/koa': () => koa(koaCtx, () => resolved),
  '@keyward/fastify (onRequest hook)': () => hooks.onRequest!(fastifyRequest, fastifyReply),
  'passport-headerapikey': () =>
    new Promise<void>((resolve, reject) =>
      passportInit(passportReq as never, {} as never, () => passportAuth(passportReq, {}, (e?: unknown) => (e ? reject(e) : resolve()))),
    ),
  '@fastify/bearer-auth (1 key)': () =>
    new Promise<void>((resolve, reject) => bearer(bearerRequest, {}, (e) => (e ? reject(e) : resolve()))),
  'hand-written Koa Map lookup': () => handWritten(handCtx, () => resolved),
})
await keyward.close()

// ── as keys grow ──
const scale: { keys: number; keyward: number; bearer: number | null }[] = []
for (const count of [1, 100, 10_000, 1_000_000].filter((n) => n <= maxKeys)) {
  const { keyward: kw, keys: hot } = await keysIn(count)
  const auth = expressAuth(kw)
  const reqs = hot.map((k) => ({ rawHeaders: HEADERS(k), ip: '127.0.0.1' }) as never)
  // @fastify/bearer-auth compares against every configured key: give it `count` keys (not at 1M: too slow to set up and run).
  let bearerAt: ((i: number) => Promise<void>) | null = null
  if (count <= 10_000) {
    const all = [...hot]
    while (all.length < count) all.push(`acme_live_${String(all.length).padStart(12, '0')}_${'x'.repeat(38)}`)
    const check = verifyBearerAuthFactory({ keys: all })
    const requests = hot.map((k) => ({ raw: { headers: { authorization: `Bearer ${k}` } }, log: { error: noop } }))
    bearerAt = (i) => new Promise<void>((resolve, reject) => check(requests[i % requests.length], {}, (e) => (e ? reject(e) : resolve())))
  }
  const result = await measure({
    keyward: (i) => new Promise<void>((resolve) => void auth(reqs[i % reqs.length]!, expressRes, () => resolve())),
    ...(bearerAt && { bearer: bearerAt }),
  })
  scale.push({ keys: count, keyward: result.keyward!, bearer: result.bearer ?? null })
  await kw.close()
}

process.send!({ alone, scale })
