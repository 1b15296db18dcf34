/**
 * The shared state of the verification suite: one Keyward instance on a counting store, the keys
 * it made, the servers started and everything they answered (checked for secrets at the end).
 */
import { createKeyward, type Keyward, type KeywardEvent, MemoryKeyStore } from '@keyward/core'
import type { HttpAuthOptions } from '@keyward/core/http'
import { afterAll, beforeAll, vi } from 'vitest'
import { CountingStore } from './counting-store.js'
import { PEPPER } from './expected.js'
import type { ConformanceAdapter, ConformanceServer, ProxyTrust, SuiteProbe } from './harness.js'
import { rawRequest, type RawResponse } from './raw-client.js'

export interface VerificationContext {
  adapter: ConformanceAdapter
  /** The suite's clock, in epoch milliseconds: tests move it. */
  clock: number
  store: CountingStore
  keyward: Keyward<string>
  events: KeywardEvent[]
  probe: SuiteProbe
  logs: string[]
  /** Every response `send` received. */
  seen: RawResponse[]
  servers: ConformanceServer[]
  rejections: unknown[]
  keys: Record<'full' | 'plain' | 'disabled' | 'expiring' | 'revoked', string>
  /** Right shape and checksum, unknown here. */
  foreignKey: string
  /** A key of another deployment (`acme_test`). */
  otherPrefixKey: string
  /** The app started with default options. */
  port: number
  serve(options?: HttpAuthOptions<string, any>, proxy?: ProxyTrust): Promise<number>
  send(port: number, method: string, path: string, headers?: [string, string][]): Promise<RawResponse>
  /** `GET /v1/me`. */
  get(headers?: [string, string][], port?: number): Promise<RawResponse>
}

/** The roles of the suite's instance. */
const ROLES = { reader: ['contacts:read'], sender: ['messages:send'] }

export const bearer = (key: string): [string, string][] => [['Authorization', `Bearer ${key}`]]

/** The context, filled in `beforeAll` (keys, the default app) and torn down in `afterAll`. */
export function verificationContext(adapter: ConformanceAdapter): VerificationContext {
  const logs: string[] = []
  const events: KeywardEvent[] = []
  const store = new CountingStore(new MemoryKeyStore())
  const ctx: VerificationContext = {
    adapter,
    clock: Date.UTC(2026, 10, 28, 12),
    store,
    keyward: createKeyward({
      prefix: 'acme_live',
      store,
      pepper: PEPPER,
      now: () => ctx.clock,
      hooks: { onEvent: (event) => events.push(event) },
      roles: ROLES,
    }),
    events,
    probe: { handled: [], log: (line) => logs.push(line) },
    logs,
    seen: [],
    servers: [],
    rejections: [],
    keys: {} as VerificationContext['keys'],
    foreignKey: '',
    otherPrefixKey: '',
    port: 0,
    async serve(options = {}, proxy) {
      const server = await adapter.start(ctx.keyward, options, ctx.probe, proxy)
      ctx.servers.push(server)
      return server.port
    },
    async send(port, method, path, headers = []) {
      const response = await rawRequest(adapter.connect, port, method, path, headers)
      ctx.seen.push(response)
      return response
    },
    get: (headers = [], port = ctx.port) => ctx.send(port, 'GET', '/v1/me', headers),
  }
  const onRejection = (reason: unknown) => ctx.rejections.push(reason)

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection)
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logs.push(args.map(String).join(' ')))
    const { keyward, keys } = ctx
    keys.full = (await keyward.create({ name: 'HubSpot CRM sync', scopes: ['messages:send', 'contacts:*'] })).key
    keys.plain = (await keyward.create({ name: 'Read only' })).key
    const disabled = await keyward.create({ name: 'Disabled' })
    keys.disabled = disabled.key
    await keyward.disable(disabled.info.id)
    keys.expiring = (await keyward.create({ name: 'Short-lived', expiresAt: ctx.clock + 60_000 })).key
    const revoked = await keyward.create({ name: 'Leaked' })
    keys.revoked = revoked.key
    await keyward.revoke(revoked.info.id)
    const elsewhere = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: PEPPER })
    ctx.foreignKey = (await elsewhere.create({ name: 'Elsewhere' })).key
    const test = createKeyward({ prefix: 'acme_test', store: new MemoryKeyStore(), pepper: PEPPER })
    ctx.otherPrefixKey = (await test.create({ name: 'Test env' })).key
    await Promise.all([elsewhere.close(), test.close()])
    ctx.port = await ctx.serve()
  })

  afterAll(async () => {
    process.off('unhandledRejection', onRejection)
    vi.restoreAllMocks()
    await Promise.all(ctx.servers.map((server) => server.close()))
    await ctx.keyward.close()
  })
  return ctx
}
