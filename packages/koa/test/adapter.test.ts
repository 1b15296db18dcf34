import type { AddressInfo } from 'node:net'
import { createKeyward, MemoryKeyStore } from '@keyward/core'
import Koa from 'koa'
import { afterAll, describe, expect, it } from 'vitest'
import { apiKeyAuth, requireScopes } from '../src/index.js'

const keyward = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore() })
afterAll(() => keyward.close())

describe('@keyward/koa specifics', () => {
  it('validates options and requireScopes when built', () => {
    expect(() => requireScopes('Bad Scope')).toThrow(TypeError)
    expect(() => apiKeyAuth(keyward, { realm: '' })).toThrow(TypeError)
    expect(() => apiKeyAuth(null as never)).toThrow(/createKeyward/)
  })

  it('requireScopes without apiKeyAuth fails closed, and upstream middleware sees the refusal status', async () => {
    const { key } = await keyward.create({ name: 'Plain' })
    const app = new Koa()
    const statuses: number[] = []
    app.use(async (ctx, next) => {
      await next()
      statuses.push(ctx.status)
    })
    app.use(requireScopes('messages:send'))
    app.use((ctx) => {
      ctx.body = { reached: true }
    })
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { headers: { 'x-api-key': key } })
      expect([response.status, (await response.json()).code]).toEqual([401, 'missing_credentials'])
      expect(statuses).toEqual([401])
    } finally {
      server.close()
    }
  })
})
