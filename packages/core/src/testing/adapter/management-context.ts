/**
 * The shared state and helpers of the key management suite: a Keyward instance on a store that can
 * be made to fail, an owner the tests switch, and calls over the raw client whose answers must be
 * exactly the bytes every adapter sends.
 */
import { createKeyward, type Keyward, MemoryKeyStore } from '@keyward/core'
import type { ApiKeyRecord, StoreListPage, StoreListQuery } from '@keyward/core/store'
import type { KeyManagementOptions } from '@keyward/core/http'
import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest'
import type { ConformanceAdapter, ConformanceServer } from './harness.js'
import { headerObject, rawRequest } from './raw-client.js'

/** A memory store that can be made to fail, to see 503s. */
class FlakyStore extends MemoryKeyStore {
  failing = false
  override async findById(id: string): Promise<ApiKeyRecord | null> {
    if (this.failing) throw new Error('connection refused')
    return super.findById(id)
  }
  override async list(query: StoreListQuery): Promise<StoreListPage> {
    if (this.failing) throw new Error('connection refused')
    return super.list(query)
  }
}

/** The page allowed to change keys in the suite's apps. */
export const ORIGIN = 'https://app.acme.test'
export const MANAGEMENT_PEPPER = 'a-management-suite-pepper-of-32-bytes!!'
/** The roles of the suite's instance. */
const ROLES = { reader: ['contacts:read'], sender: ['messages:send'], admin: ['*'] }

export interface Call {
  status: number
  /** Non-transport headers. */
  headers: Record<string, string>
  text: string
  json: any
}

interface CallOptions {
  body?: unknown
  /** A body sent as is (with `content-type` from `headers`). */
  raw?: string
  headers?: [string, string][]
  /** The `Origin` header: `ORIGIN` by default, null for none. */
  origin?: string | null
  /** Another app than the default one. */
  port?: number
}

export interface ManagementContext {
  adapter: ConformanceAdapter
  /** Its `failing = true` makes reads fail. */
  store: MemoryKeyStore & { failing: boolean }
  keyward: Keyward<string>
  /** What `authorize` answers: an owner id, or an error it throws. */
  owner: string | Error
  /** What `authorize` was given, per call. */
  authorized: unknown[]
  onError: ReturnType<typeof vi.fn<(error: unknown, request: unknown) => void>>
  port: number
  /** Start another app with the default options and `options` on top; closed after the suite. */
  serve(options?: Partial<KeyManagementOptions<any>>, keyward?: Keyward<string>): Promise<number>
  call(method: string, path: string, options?: CallOptions): Promise<Call>
  /** Create a key through the API as `as` (the current owner by default). */
  createKey(name?: string, extra?: Record<string, unknown>, as?: string): Promise<{ key: string; id: string }>
}

export function managementContext(adapter: ConformanceAdapter): ManagementContext {
  const store = new FlakyStore()
  const servers: ConformanceServer[] = []
  const ctx: ManagementContext = {
    adapter,
    store,
    keyward: createKeyward({ prefix: 'acme_test', store, pepper: MANAGEMENT_PEPPER, cache: false, throttle: false, roles: ROLES }),
    owner: 'team-a',
    authorized: [],
    onError: vi.fn<(error: unknown, request: unknown) => void>(),
    port: 0,
    async serve(options = {}, keyward = ctx.keyward) {
      const server = await adapter.startManagement(keyward, {
        authorize: (request: unknown) => {
          ctx.authorized.push(request)
          if (ctx.owner instanceof Error) throw ctx.owner
          return ctx.owner
        },
        allowedOrigins: [ORIGIN],
        onError: ctx.onError,
        ...options,
      })
      servers.push(server)
      return server.port
    },
    async call(method, path, options = {}) {
      const headers: [string, string][] = [...(options.headers ?? [])]
      const origin = options.origin === undefined ? ORIGIN : options.origin
      if (origin !== null) headers.push(['Origin', origin])
      let body = options.raw
      if (options.body !== undefined) {
        body = JSON.stringify(options.body)
        if (!headers.some(([name]) => name.toLowerCase() === 'content-type')) headers.push(['Content-Type', 'application/json'])
      }
      const response = await rawRequest(adapter.connect, options.port ?? ctx.port, method, `/api/keys${path}`, headers, body)
      let json: unknown
      try {
        json = response.body === '' ? undefined : JSON.parse(response.body)
      } catch {
        json = undefined
      }
      return { status: response.status, headers: headerObject(response), text: response.body, json }
    },
    async createKey(name = 'CRM sync', extra = {}, as) {
      const before = ctx.owner
      if (as !== undefined) ctx.owner = as
      try {
        const response = await ctx.call('POST', '/', { body: { name, ...extra } })
        expect(response.status).toBe(201)
        return { key: response.json.key, id: response.json.info.id }
      } finally {
        ctx.owner = before
      }
    },
  }
  beforeAll(async () => {
    ctx.port = await ctx.serve()
  })
  afterEach(() => {
    ctx.owner = 'team-a'
    store.failing = false
    ctx.onError.mockClear()
  })
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()))
    await ctx.keyward.close()
  })
  return ctx
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/** Fixed details, written out: every adapter must send exactly these. */
export const DETAILS = {
  unauthorized: 'Sign in to manage API keys.',
  apiKey: 'Keys are managed from a signed-in session. This API does not accept API keys: remove the Authorization or X-API-Key header.',
  noOrigin: 'This request changes keys and must carry an Origin header naming a page of this site.',
  otherOrigin: 'This request comes from a page that is not allowed to change keys here. Open the API Keys page of this site and try again.',
  unsupported: 'Send the request body as JSON with Content-Type: application/json.',
  tooLarge: 'The request body must be at most 16384 bytes.',
  notJson: 'The request body is not valid JSON.',
  notObject: 'The request body must be a JSON object.',
  storeDown: 'The key store is unavailable. Nothing was changed; try again shortly.',
  internal: 'Something went wrong while managing API keys.',
}

/**
 * The response is exactly this problem: status, every header, and the body's bytes when `detail`
 * is a string (a RegExp or nothing checks the body field by field).
 */
export function expectProblem(
  response: Call,
  status: number,
  code: string,
  detail?: string | RegExp,
  options: { field?: string; headers?: Record<string, string> } = {},
): void {
  const expected = {
    type: 'about:blank',
    title: TITLES[status],
    status,
    code,
    detail,
    ...(options.field !== undefined && { field: options.field }),
  }
  expect({ status: response.status, headers: response.headers }).toEqual({
    status,
    headers: {
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
      'content-length': String(new TextEncoder().encode(response.text).length),
      ...options.headers,
    },
  })
  if (typeof detail === 'string') expect(response.text).toBe(JSON.stringify(expected))
  else expect(response.json).toEqual({ ...expected, detail: detail ? expect.stringMatching(detail) : expect.any(String) })
}

/** The response is exactly `value` as JSON with `status`: headers and body bytes. */
export function expectJson(response: Call, status: number, value: unknown): void {
  const text = JSON.stringify(value)
  expect({ status: response.status, headers: response.headers, text: response.text }).toEqual({
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': String(new TextEncoder().encode(text).length),
    },
    text,
  })
}
