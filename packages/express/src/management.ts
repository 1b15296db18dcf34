/**
 * A JSON API to manage one owner's API keys from a signed-in session: the backend of an "API Keys"
 * page. Mount it behind your own session middleware and tell it who the user is with `authorize`.
 */
import { extractCredential, KeywardError, scopeGranted, type ApiKeyInfo, type Keyward } from '@keyward/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { BodyTooLargeError, readRawBody } from './body.js'
import { checkOrigin, parseAllowedOrigins } from './origin-check.js'

/** Options of {@link keyManagementRouter}. */
export interface KeyManagementOptions {
  /**
   * Who is asking: resolve to the owner id whose keys this request may manage (a user, team or
   * account id from your session), or throw / reject to refuse the request with 401. Anything but
   * a non-empty string also refuses it.
   * @example authorize: (req) => req.session?.teamId ?? Promise.reject(new Error('not signed in'))
   */
  authorize: (req: Request) => string | Promise<string>
  /**
   * The origins (scheme, host and port) of the pages allowed to change keys: a state-changing
   * request (POST, PATCH, PUT, DELETE) is accepted only when its `Origin` header is one of them,
   * and refused with 403 `origin_not_allowed` otherwise, Origin missing included (cross-site request
   * forgery). The request's own `Host` is never trusted for this: a DNS-rebinding page (an
   * attacker's hostname pointed at your server) sends a `Host` and an `Origin` that agree. Required,
   * at least one; list every address users open the page at.
   * @example allowedOrigins: ['https://app.acme.com']
   * @example allowedOrigins: ['http://localhost:3000', 'http://127.0.0.1:3000']
   */
  allowedOrigins: readonly string[]
  /**
   * Request headers that carry an API key (lowercase; `authorization` means
   * `Authorization: Bearer …`). A request with any of them is refused with 403: managing keys needs
   * a user session, never a key. Use `['x-api-key']` if your sessions travel as bearer tokens.
   * @default ['authorization', 'x-api-key']
   */
  apiKeyHeaders?: readonly string[]
  /**
   * The scopes a key created or updated here may hold; a requested scope must be covered by one of
   * them (`contacts:*` covers `contacts:sync`). A key whose scopes exceed them (one made elsewhere,
   * say with `*`) can be read, disabled, revoked, deleted or narrowed here, but not rotated, enabled
   * or otherwise updated (403 `scope_not_allowed`). Without it any well-formed scope is accepted.
   * @example allowedScopes: ['messages:send', 'contacts:*', 'workflows:trigger']
   */
  allowedScopes?: readonly string[]
  /**
   * Largest JSON body accepted, in bytes, when no body parser ran before this router.
   * @default 16384
   */
  maxBodyBytes?: number
  /**
   * Called with errors that are not Keyward's (they answer 500 without details), for your logs.
   * It never receives a key.
   */
  onError?: (error: unknown, req: Request) => void
}

/** An RFC 9457 problem body sent by the management API. */
interface ManagementProblem {
  type: 'about:blank'
  title: string
  status: number
  code: string
  detail: string
  /** On `invalid_input`: the field at fault, such as `name` or `scopes[1]`. */
  field?: string
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
const STATUS_OF_CODE: Record<string, number> = {
  invalid_input: 400,
  not_found: 404,
  invalid_state: 409,
  conflict: 409,
  duplicate_id: 409,
  store_unavailable: 503,
  closed: 503,
}
const ACTIONS = new Set(['disable', 'enable', 'revoke', 'rotate'])
const CREATE_FIELDS = new Set(['name', 'scopes', 'expiresAt'])
const UPDATE_FIELDS = new Set(['name', 'scopes', 'expiresAt'])
const ROTATE_FIELDS = new Set(['gracePeriodMs', 'expiresAt'])
const HEADER_NAME_RE = /^[a-z0-9!#$%&'*+.^_`|~-]+$/
const JSON_TYPE_RE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i
const OPTION_NAMES = new Set(['authorize', 'allowedOrigins', 'apiKeyHeaders', 'allowedScopes', 'maxBodyBytes', 'onError'])

/** A refusal decided by the router itself (not by Keyward). */
class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail)
  }
}

interface Config {
  authorize: (req: Request) => string | Promise<string>
  allowedOrigins: ReadonlySet<string>
  apiKeyHeaders: readonly string[]
  allowedScopes: readonly string[] | undefined
  maxBodyBytes: number
  onError: ((error: unknown, req: Request) => void) | undefined
}

function resolveOptions(keyward: unknown, options: KeyManagementOptions): Config {
  if (keyward === null || typeof keyward !== 'object' || typeof (keyward as Keyward).list !== 'function')
    throw new TypeError('keyManagementRouter(keyward, options) needs the instance returned by createKeyward()')
  if (options === null || typeof options !== 'object') throw new TypeError('keyManagementRouter needs options with an authorize(req) function')
  for (const name of Object.keys(options))
    if (!OPTION_NAMES.has(name)) throw new TypeError(`unknown option "${name}": expected one of ${[...OPTION_NAMES].join(', ')}`)
  if (typeof options.authorize !== 'function')
    throw new TypeError('options.authorize must be a function that returns the owner id of the signed-in user')
  const allowedOrigins = parseAllowedOrigins(options.allowedOrigins)
  const headers = options.apiKeyHeaders ?? ['authorization', 'x-api-key']
  if (!Array.isArray(headers) || !headers.every((h) => typeof h === 'string' && HEADER_NAME_RE.test(h)))
    throw new TypeError('options.apiKeyHeaders must be an array of lowercase header names, like ["authorization", "x-api-key"]')
  const scopes = options.allowedScopes
  if (scopes !== undefined && (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && /^[a-z0-9_.:*-]{1,100}$/.test(s))))
    throw new TypeError('options.allowedScopes must be an array of scopes like ["messages:send", "contacts:*"]')
  const maxBodyBytes = options.maxBodyBytes ?? 16_384
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 256 || maxBodyBytes > 1_048_576)
    throw new TypeError('options.maxBodyBytes must be an integer from 256 to 1048576')
  if (options.onError !== undefined && typeof options.onError !== 'function') throw new TypeError('options.onError must be a function')
  return { authorize: options.authorize, allowedOrigins, apiKeyHeaders: [...headers], allowedScopes: scopes && [...scopes], maxBodyBytes, onError: options.onError }
}

// ── request checks ──────────────────────────────────────────────────────────────────────────────

function refuseApiKeys(req: Request, config: Config): void {
  if (config.apiKeyHeaders.length === 0) return
  if (extractCredential(req.rawHeaders, config.apiKeyHeaders).kind !== 'none')
    throw new Problem(
      403,
      'api_key_not_accepted',
      'Keys are managed from a signed-in session. This API does not accept API keys: remove the Authorization or X-API-Key header.',
    )
}

function refuseForeignOrigin(req: Request, config: Config): void {
  const refusal = checkOrigin(req.method, req, config.allowedOrigins)
  if (refusal !== null) throw new Problem(403, refusal.code, refusal.detail)
}

async function ownerOf(req: Request, config: Config): Promise<string> {
  let owner: unknown
  try {
    owner = await config.authorize(req)
  } catch {
    owner = undefined
  }
  if (typeof owner !== 'string' || owner.length === 0)
    throw new Problem(401, 'unauthorized', 'Sign in to manage API keys.')
  return owner
}

async function readBody(req: Request, config: Config): Promise<Record<string, unknown>> {
  let value: unknown = req.body
  if (value === undefined && !req.readableEnded) {
    const length = Number(req.get('content-length') ?? 0)
    if (length > 0 || req.get('transfer-encoding') !== undefined) {
      if (!JSON_TYPE_RE.test(req.get('content-type') ?? ''))
        throw new Problem(415, 'unsupported_media_type', 'Send the request body as JSON with Content-Type: application/json.')
      const text = await readText(req, config.maxBodyBytes)
      if (text.trim() !== '') {
        try {
          value = JSON.parse(text)
        } catch {
          throw new Problem(400, 'invalid_input', 'The request body is not valid JSON.', 'body')
        }
      }
    }
  }
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new Problem(400, 'invalid_input', 'The request body must be a JSON object.', 'body')
  return value as Record<string, unknown>
}

async function readText(req: Request, limit: number): Promise<string> {
  try {
    return await readRawBody(req, limit)
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new Problem(413, 'body_too_large', error.message)
    throw error
  }
}

function onlyFields(body: Record<string, unknown>, allowed: ReadonlySet<string>): void {
  for (const name of Object.keys(body))
    if (!allowed.has(name))
      throw new Problem(
        400,
        'invalid_input',
        allowed.size === 0 ? `Unknown field "${name}": this action takes no fields.` : `Unknown field "${name}": expected ${[...allowed].join(', ')}.`,
        name.slice(0, 100),
      )
}

/** `expiresAt` from JSON: an ISO 8601 string, epoch milliseconds or null. Core checks it is in the future. */
function dateField(value: unknown, field: string): Date | number | null | undefined {
  if (value === undefined || value === null || typeof value === 'number') return value
  if (typeof value === 'string') {
    const ms = Date.parse(value)
    if (Number.isFinite(ms)) return ms
  }
  throw new Problem(400, 'invalid_input', `${field}: must be an ISO 8601 date string, epoch milliseconds or null`, field)
}

/**
 * A key whose scopes exceed `allowedScopes` must not gain a new lease of life here: rotating it
 * would mint a new secret with those scopes, enabling or updating it would keep them in use.
 */
function checkKeyScopes(info: ApiKeyInfo, config: Config, action: string): void {
  if (config.allowedScopes === undefined) return
  const beyond = info.scopes.filter((scope) => !scopeGranted(config.allowedScopes!, scope))
  if (beyond.length > 0)
    throw new Problem(
      403,
      'scope_not_allowed',
      `This key holds scopes you cannot grant here (${beyond.map((s) => s.slice(0, 100)).join(', ')}), so it cannot be ${action} here. ` +
        'You can narrow its scopes, disable, revoke or delete it.',
    )
}

/** A path parameter quoted back only when it is shaped like a key id: base62, never a whole key or a secret. */
function quoteId(id: string): string {
  return /^[0-9A-Za-z]{1,32}$/.test(id) ? `"${id}"` : 'given'
}

function checkScopes(value: unknown, config: Config): string[] | undefined {
  if (value === undefined || config.allowedScopes === undefined || !Array.isArray(value)) return value as string[] | undefined
  value.forEach((scope, index) => {
    if (typeof scope === 'string' && !scopeGranted(config.allowedScopes!, scope))
      throw new Problem(400, 'invalid_input', `scopes[${index}]: "${scope.slice(0, 100)}" is not a scope you can grant here; allowed: ${config.allowedScopes!.join(', ')}`, `scopes[${index}]`)
  })
  return value as string[]
}

// ── responses ───────────────────────────────────────────────────────────────────────────────────

function send(res: Response, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  res.status(status)
  res.set({ 'cache-control': 'no-store', ...headers })
  if (body === undefined) {
    res.end()
    return
  }
  const json = JSON.stringify(body)
  res.set({ 'content-type': headers['content-type'] ?? 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(json)) })
  res.end(json)
}

function sendProblem(res: Response, keyward: Keyward<string>, status: number, code: string, detail: string, field?: string, headers: Record<string, string> = {}): void {
  const body: ManagementProblem = {
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    code,
    // Defence in depth: whatever a message quotes, a key in it goes out in display form only.
    detail: keyward.redact(detail),
    ...(field !== undefined && { field: keyward.redact(field) }),
  }
  send(res, status, body, { 'content-type': 'application/problem+json', ...headers })
}

function sendError(res: Response, req: Request, keyward: Keyward<string>, config: Config, error: unknown): void {
  if (error instanceof Problem) return sendProblem(res, keyward, error.status, error.code, error.message, error.field, error.headers)
  const code = error instanceof KeywardError ? error.code : (error as { code?: unknown } | null)?.code
  const status = typeof code === 'string' && error instanceof Error ? STATUS_OF_CODE[code] : undefined
  if (status !== undefined && typeof code === 'string') {
    const field = (error as { field?: unknown }).field
    const retry = status === 503 ? { 'retry-after': '1' } : undefined
    const detail = code === 'store_unavailable' ? 'The key store is unavailable. Nothing was changed; try again shortly.' : (error as Error).message
    return sendProblem(res, keyward, status, code, detail, typeof field === 'string' ? field : undefined, retry)
  }
  try {
    config.onError?.(error, req)
  } catch {
    // A failing log hook must not break the response.
  }
  sendProblem(res, keyward, 500, 'internal_error', 'Something went wrong while managing API keys.')
}

// ── routing ─────────────────────────────────────────────────────────────────────────────────────

type Route = { kind: 'collection' } | { kind: 'key'; id: string } | { kind: 'action'; id: string; action: string }

function route(path: string): Route | null {
  const parts = path.split('/').filter((part) => part !== '')
  if (parts.length === 0) return { kind: 'collection' }
  let id: string
  try {
    id = decodeURIComponent(parts[0]!)
  } catch {
    return null
  }
  if (parts.length === 1) return { kind: 'key', id }
  if (parts.length === 2 && ACTIONS.has(parts[1]!)) return { kind: 'action', id, action: parts[1]! }
  return null
}

const ALLOW: Record<Route['kind'], string> = { collection: 'GET, HEAD, POST', key: 'GET, HEAD, PATCH, DELETE', action: 'POST' }

function allowed(route: Route, method: string): boolean {
  return ALLOW[route.kind].split(', ').includes(method)
}

/**
 * The JSON API behind an "API Keys" page, for the keys of one owner: the signed-in user's team or
 * account, as `authorize(req)` returns it. Mount it under a path of your app:
 *
 * | request | answer |
 * | --- | --- |
 * | `GET /` (`?limit=&cursor=&includeRevoked=true`) | 200 `{ items: ApiKeyInfo[], nextCursor? }` |
 * | `POST /` `{ name, scopes?, expiresAt? }` | 201 `{ key, info }`: the key, shown this once |
 * | `GET /:id` | 200 `ApiKeyInfo` |
 * | `PATCH /:id` `{ name?, scopes?, expiresAt? }` | 200 `ApiKeyInfo` |
 * | `POST /:id/disable`, `/enable`, `/revoke` | 200 `ApiKeyInfo` |
 * | `POST /:id/rotate` `{ gracePeriodMs?, expiresAt? }` | 200 `{ key, info, previous }`: the old key works for `gracePeriodMs` more |
 * | `DELETE /:id` | 204 |
 *
 * Refusals are `application/problem+json` with a stable `code`: 400 `invalid_input` (with `field`),
 * 401 `unauthorized` (`authorize` threw), 403 `api_key_not_accepted` (the request carries an API
 * key: managing keys needs a session), 403 `origin_not_allowed` (a state-changing request whose
 * `Origin` is not in `allowedOrigins`), 403 `scope_not_allowed` (rotating, enabling or updating a
 * key whose scopes exceed `allowedScopes`), 404 `not_found` (also for another owner's key; a path
 * that is not shaped like an id is never quoted back), 409 `invalid_state` /
 * `conflict`, 503 `store_unavailable`. No response but the 201 of create and the 200 of rotate
 * ever contains a key; every response is `Cache-Control: no-store`. Expects Express 5; reads JSON
 * bodies itself unless a body parser (`express.json()`) ran first. Throws a `TypeError` at once
 * for invalid options, `allowedOrigins` missing or empty included.
 *
 * @example
 * import express from 'express'
 * import { keyManagementRouter } from '@keyward/express'
 *
 * const app = express()
 * app.use('/api/keys', yourSessionMiddleware, keyManagementRouter(keyward, {
 *   authorize: (req) => req.user?.teamId ?? Promise.reject(new Error('not signed in')),
 *   allowedOrigins: ['https://app.acme.com'],
 *   allowedScopes: ['messages:send', 'contacts:sync', 'workflows:trigger'],
 * }))
 */
export function keyManagementRouter<S extends string = string>(keyward: Keyward<S>, options: KeyManagementOptions): RequestHandler {
  const config = resolveOptions(keyward, options)
  const kw = keyward as unknown as Keyward<string>

  /** The key `id` when it belongs to `owner`; another owner's key is "not found" like an unknown one. */
  async function ownKey(id: string, owner: string): Promise<ApiKeyInfo> {
    const info = await kw.get(id)
    if (info === null || info.ownerId !== owner) throw new Problem(404, 'not_found', `No API key with the id ${quoteId(id)}.`)
    return info
  }

  async function handle(req: Request, res: Response, target: Route, owner: string): Promise<void> {
    const method = req.method === 'HEAD' ? 'GET' : req.method
    if (target.kind === 'collection' && method === 'GET') {
      const query = req.query as Record<string, unknown>
      const limit = query.limit === undefined ? undefined : Number(query.limit)
      const cursor = query.cursor
      if (cursor !== undefined && typeof cursor !== 'string') throw new Problem(400, 'invalid_input', 'cursor: must be a single string', 'cursor')
      const page = await kw.list({
        ownerId: owner,
        includeRevoked: query.includeRevoked === 'true',
        ...(limit !== undefined && { limit }),
        ...(cursor !== undefined && { cursor }),
      })
      return send(res, 200, page)
    }
    if (target.kind === 'collection') {
      const body = await readBody(req, config)
      onlyFields(body, CREATE_FIELDS)
      if (typeof body.name === 'string' && kw.looksLikeKey(body.name.trim()))
        throw new Problem(400, 'invalid_input', 'name: looks like an API key; use a description such as "CRM sync"', 'name')
      const created = await kw.create({
        name: body.name as string,
        ownerId: owner,
        scopes: checkScopes(body.scopes, config),
        expiresAt: dateField(body.expiresAt, 'expiresAt'),
      })
      return send(res, 201, created)
    }
    const current = await ownKey(target.id, owner)
    if (target.kind === 'key') {
      if (method === 'GET') return send(res, 200, current)
      if (method === 'DELETE') {
        await kw.delete(current.id)
        return send(res, 204)
      }
      const body = await readBody(req, config)
      onlyFields(body, UPDATE_FIELDS)
      if (typeof body.name === 'string' && kw.looksLikeKey(body.name.trim()))
        throw new Problem(400, 'invalid_input', 'name: looks like an API key; use a description such as "CRM sync"', 'name')
      const expiresAt = dateField(body.expiresAt, 'expiresAt')
      // New scopes are checked on their own; without them, the key keeps the scopes it has.
      if (!Array.isArray(body.scopes)) checkKeyScopes(current, config, 'updated')
      const updated = await kw.update(current.id, {
        ...(body.name !== undefined && { name: body.name as string }),
        ...(body.scopes !== undefined && { scopes: checkScopes(body.scopes, config) }),
        ...(expiresAt !== undefined && { expiresAt }),
      })
      return send(res, 200, updated)
    }
    const body = await readBody(req, config)
    if (target.action === 'rotate') {
      onlyFields(body, ROTATE_FIELDS)
      checkKeyScopes(current, config, 'rotated')
      const expiresAt = dateField(body.expiresAt, 'expiresAt')
      const rotated = await kw.rotate(current.id, {
        ...(body.gracePeriodMs !== undefined && { gracePeriodMs: body.gracePeriodMs as number }),
        ...(expiresAt !== undefined && { expiresAt }),
      })
      return send(res, 200, rotated)
    }
    onlyFields(body, new Set())
    if (target.action === 'enable') checkKeyScopes(current, config, 'enabled')
    const action = target.action as 'disable' | 'enable' | 'revoke'
    return send(res, 200, await kw[action](current.id))
  }

  return async function keywardKeyManagement(req: Request, res: Response, next: NextFunction): Promise<void> {
    const target = route(req.path)
    if (target === null) return next()
    try {
      if (req.method === 'OPTIONS') return send(res, 204, undefined, { allow: ALLOW[target.kind] })
      if (!allowed(target, req.method)) throw new Problem(405, 'method_not_allowed', `Use ${ALLOW[target.kind]} here.`, undefined, { allow: ALLOW[target.kind] })
      refuseApiKeys(req, config)
      refuseForeignOrigin(req, config)
      const owner = await ownerOf(req, config)
      await handle(req, res, target, owner)
    } catch (error) {
      if (res.headersSent) return
      try {
        sendError(res, req, kw, config, error)
      } catch {
        if (!res.headersSent) res.status(500).set('cache-control', 'no-store').end()
      }
    }
  }
}
