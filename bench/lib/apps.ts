/**
 * The apps the HTTP bench drives: for each framework a JSON route bare, behind Keyward, and behind
 * the common alternative. Each app counts requests that reached the handler. The Node frameworks are
 * built here; Bun's `Bun.serve` app is in bench/http/bun-server.ts (it runs under Bun).
 */
import { createRequire } from 'node:module'
import bearerAuth from '@fastify/bearer-auth'
import type { Keyward } from '@keyward/core'
import { apiKeyAuth as expressAuth } from '@keyward/express'
import { serve as serveHono } from '@hono/node-server'
import { apiKeyAuth as fastifyAuth } from '@keyward/fastify'
import { apiKeyAuth as honoAuth } from '@keyward/hono'
import { apiKeyAuth as koaAuth } from '@keyward/koa'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { bearerAuth as honoBearerAuth } from 'hono/bearer-auth'
import Koa from 'koa'

const require = createRequire(import.meta.url)
const passport = require('passport') as typeof import('passport')
const { HeaderAPIKeyStrategy } = require('passport-headerapikey') as {
  HeaderAPIKeyStrategy: new (
    header: { header: string; prefix: string },
    passReqToCallback: boolean,
    verify: (apiKey: string, done: (error: unknown, user?: unknown) => void) => void,
  ) => import('passport').Strategy
}

/** The frameworks served by Node (tsx) through {@link buildApp}. */
export type Framework = 'express' | 'koa' | 'fastify' | 'hono'
/** The HTTP bench's rows: the Node frameworks, and `bun`: `Bun.serve` with a plain fetch handler (bench/http/bun-server.ts). */
export type HttpFramework = Framework | 'bun'
export const HTTP_FRAMEWORKS: readonly HttpFramework[] = ['express', 'koa', 'fastify', 'hono', 'bun']
/** `noop`: one pass-through middleware, the framework's own cost of having any middleware at all. */
export type Variant = 'bare' | 'noop' | 'keyward' | 'alternative'
export const ALTERNATIVE: Record<HttpFramework, string> = {
  express: 'passport-headerapikey',
  koa: 'hand-written Map lookup',
  fastify: '@fastify/bearer-auth',
  hono: 'hono/bearer-auth',
  bun: 'hand-written Map lookup',
}
/** The Keyward row's name: the adapter package, or core's fetch wrapper for Bun. */
export const KEYWARD: Record<HttpFramework, string> = {
  express: '@keyward/express',
  koa: '@keyward/koa',
  fastify: '@keyward/fastify',
  hono: '@keyward/hono',
  bun: 'withApiKey (@keyward/core/http)',
}
const BODY = { hello: 'world' }

export interface BenchApp {
  listen(): Promise<number>
  handled(): number
}

/** `staticKeys`: the keys the alternatives accept (the same strings Keyward verifies). */
export async function buildApp(framework: Framework, variant: Variant, keyward: Keyward, staticKeys: string[]): Promise<BenchApp> {
  let handled = 0
  const users = new Map(staticKeys.map((key, i) => [key, { id: `user-${i}` }]))
  if (framework === 'express') {
    const app = express()
    app.disable('x-powered-by')
    app.disable('etag')
    if (variant === 'noop') app.use((_req, _res, next) => next())
    if (variant === 'keyward') app.use(expressAuth(keyward))
    if (variant === 'alternative') {
      passport.use(
        new HeaderAPIKeyStrategy({ header: 'Authorization', prefix: 'Bearer ' }, false, (apiKey, done) =>
          done(null, users.get(apiKey) ?? false),
        ),
      )
      app.use(passport.initialize())
      app.use(passport.authenticate('headerapikey', { session: false }))
    }
    app.get('/json', (_req, res) => {
      handled++
      res.json(BODY)
    })
    return {
      listen: () =>
        new Promise((resolve) => {
          const server = app.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port))
        }),
      handled: () => handled,
    }
  }
  if (framework === 'koa') {
    const app = new Koa()
    if (variant === 'noop') app.use((_ctx, next) => next())
    if (variant === 'keyward') app.use(koaAuth(keyward))
    if (variant === 'alternative')
      app.use(async (ctx, next) => {
        const header = ctx.get('authorization')
        const user = header.startsWith('Bearer ') ? users.get(header.slice(7)) : undefined
        if (!user) {
          ctx.status = 401
          ctx.body = { error: 'unauthorized' }
          return
        }
        ctx.state.user = user
        await next()
      })
    app.use((ctx) => {
      if (ctx.path !== '/json') return
      handled++
      ctx.body = BODY
    })
    return {
      listen: () =>
        new Promise((resolve) => {
          const server = app.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port))
        }),
      handled: () => handled,
    }
  }
  if (framework === 'hono') {
    const app = new Hono()
    if (variant === 'noop') app.use(async (_c, next) => next())
    if (variant === 'keyward') app.use(honoAuth(keyward))
    if (variant === 'alternative') app.use(honoBearerAuth({ token: staticKeys }))
    app.get('/json', (c) => {
      handled++
      return c.json(BODY)
    })
    return {
      listen: () =>
        new Promise((resolve) => {
          serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port))
        }),
      handled: () => handled,
    }
  }
  const app = Fastify({ logger: false })
  if (variant === 'noop') app.addHook('onRequest', (_request, _reply, done) => done())
  if (variant === 'keyward') await app.register(fastifyAuth, { keyward })
  if (variant === 'alternative') await app.register(bearerAuth, { keys: new Set(staticKeys) })
  app.get('/json', async () => {
    handled++
    return BODY
  })
  return {
    listen: async () => {
      await app.listen({ port: 0, host: '127.0.0.1' })
      return (app.server.address() as { port: number }).port
    },
    handled: () => handled,
  }
}
