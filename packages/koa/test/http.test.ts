import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Router from '@koa/router'
import { createKeyward, MemoryKeyStore } from '@keyward/core'
import Koa from 'koa'
import { runHttpSuite, type AdapterHarness } from '../../../test/http-suite.js'
import { apiKeyAuth, requireScopes } from '../src/index.js'

export const harness: AdapterHarness = {
  name: 'koa',
  core: { createKeyward, MemoryKeyStore },
  async start(keyward, options, probe) {
    const app = new Koa()
    app.silent = true
    app.on('error', (error: Error) => probe.log(String(error.stack)))
    const open = new Router()
    open.get('/health', (ctx) => {
      probe.handled.push('health')
      ctx.body = { ok: true }
    })
    const v1 = new Router({ prefix: '/v1' })
    v1.use(apiKeyAuth(keyward, options))
    v1.get('/me', (ctx) => {
      probe.handled.push('me')
      ctx.body = { id: ctx.state.apiKey?.id ?? null }
    })
    v1.post('/messages', requireScopes('messages:send'), (ctx) => {
      probe.handled.push('messages')
      ctx.body = { sent: true }
    })
    app.use(open.routes()).use(v1.routes())
    const server = createServer({ maxHeaderSize: 65_536 }, app.callback())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return {
      port: (server.address() as AddressInfo).port,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    }
  },
}

runHttpSuite(harness)
