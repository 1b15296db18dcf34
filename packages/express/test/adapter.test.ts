import type { AddressInfo } from 'node:net'
import { createKeyward, MemoryKeyStore } from '@keyward/core'
import express from 'express'
import { afterAll, describe, expect, it } from 'vitest'
import { apiKeyAuth, requireScopes } from '../src/index.js'

const keyward = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore() })
afterAll(() => keyward.close())

describe('@keyward/express specifics', () => {
  it('validates requireScopes when the route is built', () => {
    expect(() => requireScopes('Bad Scope')).toThrow(TypeError)
    expect(() => (requireScopes as (...s: string[]) => unknown)()).toThrow(/at least one scope/)
  })

  it('requireScopes without apiKeyAuth fails closed (401), and a throwing onFailure reaches the error handler', async () => {
    const app = express()
    app.get('/unguarded', requireScopes('messages:send'), (_req, res) => res.json({ reached: true }))
    app.get(
      '/hooked',
      apiKeyAuth(keyward, {
        onFailure: () => {
          throw new Error('hook broke')
        },
      }),
      (_req, res) => res.json({ reached: true }),
    )
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).json({ handled: error.message })
    })
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const unguarded = await fetch(`${base}/unguarded`)
      expect([unguarded.status, unguarded.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="api"'])
      const hooked = await fetch(`${base}/hooked`)
      expect([hooked.status, await hooked.json()]).toEqual([500, { handled: 'hook broke' }])
    } finally {
      server.close()
    }
  })
})
