/**
 * Express 5 middleware for Keyward API keys: `app.use(apiKeyAuth(keyward))` protects routes,
 * `requireScopes('messages:send')` guards one. Every refusal comes from `@keyward/core`'s HTTP
 * mapping, so Express, Koa and Fastify answer byte for byte the same.
 */
import type { ApiKeyInfo, Keyward } from '@keyward/core'
import {
  authenticateRequest,
  requireScopesResponse,
  resolveHttpAuthOptions,
  scopeRequirementOf,
  type HttpAuthConfig,
  type HttpAuthOptions,
} from '@keyward/core/http'
import type { Application, NextFunction, Request, RequestHandler, Response } from 'express'
import { sendFailure } from './send.js'

declare global {
  // Express's own augmentation point (see @types/express-serve-static-core).
  namespace Express {
    interface Request {
      /**
       * The verified API key, set by `apiKeyAuth`: its public view (never the secret or digest).
       * `null` when the middleware runs with `optional: true` and the request has no key;
       * `undefined` on routes the middleware does not cover.
       */
      apiKey?: ApiKeyInfo | null
    }
  }
}

/** Options of {@link apiKeyAuth}. `onFailure` receives the Express request. */
export type ApiKeyAuthOptions<S extends string = string> = HttpAuthOptions<S, Request>

export type { ApiKeyInfo } from '@keyward/core'
export type { HttpFailureResponse, KeyManagementActor } from '@keyward/core/http'

/**
 * Where `requireScopes` finds the realm and `onFailure` hook of the `apiKeyAuth` that ran: a symbol
 * key on `res.locals`, Express's per-request object (created with a null prototype, so already a
 * dictionary: the key changes no object's shape, and templates never enumerate a symbol). Not a
 * symbol on the request itself — that pushed Node's request object into slow dictionary mode —
 * and not a WeakMap, whose one entry per request cost a measurable share of garbage collection.
 */
const CONFIG = Symbol('keyward.config')
const DEFAULT_CONFIG = resolveHttpAuthOptions<string, Request>()

/** Apps already checked for a trust-every-proxy setting: one warning per app at most. */
const CHECKED_APPS = new WeakSet<Application>()

/**
 * Warn once per app when Express trusts every proxy (`trust proxy` true): `req.ip`, the address
 * failed-key throttling counts, is then the leftmost `X-Forwarded-For` entry, which the client writes.
 */
function checkProxyTrust(app: Application): void {
  if (CHECKED_APPS.has(app)) return
  CHECKED_APPS.add(app)
  if (app.get('trust proxy') === true)
    console.warn(
      '[keyward] Express "trust proxy" is true, so req.ip is the leftmost X-Forwarded-For address, which the client ' +
        'writes itself: a client can dodge failed-key throttling or get another address throttled. Trust only your ' +
        "proxies: app.set('trust proxy', 1) behind one proxy, or their addresses, like app.set('trust proxy', ['10.0.0.1']).",
    )
}

function assertKeyward(keyward: unknown): asserts keyward is Keyward<string> {
  if (keyward === null || typeof keyward !== 'object' || typeof (keyward as Keyward).verify !== 'function')
    throw new TypeError('apiKeyAuth(keyward) needs the instance returned by createKeyward()')
}

/**
 * Authenticate every request under this middleware with an API key from
 * `Authorization: Bearer <key>` or `X-API-Key`, and put the key's public view at `req.apiKey`.
 * Refusals: 401 (missing or bad key), 400 (malformed credential, two different keys), 403 (missing
 * scopes, or an address the key's `allowedIps` leave out), 429 (limits), 503 (store unreachable, fail
 * closed) — always with `WWW-Authenticate` and a problem+json body. Throws a `TypeError` at once for
 * invalid options.
 *
 * The client address for failed-attempt throttling is `req.ip`: behind a proxy, trust exactly
 * your proxies (`app.set('trust proxy', 1)` for one hop, or their addresses), never `true`, with
 * which the client picks its own address; `console.warn` says so once per app.
 *
 * @example
 * import express from 'express'
 * import { apiKeyAuth, requireScopes } from '@keyward/express'
 *
 * const app = express()
 * app.use('/v1', apiKeyAuth(keyward))
 * app.post('/v1/messages', requireScopes('messages:send'), (req, res) => {
 *   res.json({ sentBy: req.apiKey!.name })
 * })
 */
export function apiKeyAuth<S extends string = string>(keyward: Keyward<S>, options?: ApiKeyAuthOptions<NoInfer<S>>): RequestHandler {
  assertKeyward(keyward)
  const config = resolveHttpAuthOptions<S, Request>(options) as HttpAuthConfig<string, Request>
  let lastApp: Application | undefined
  return async function keywardApiKeyAuth(req: Request, res: Response, next: NextFunction): Promise<void> {
    if (req.app !== lastApp) checkProxyTrust((lastApp = req.app))
    const result = await authenticateRequest(keyward, req.rawHeaders, config, req.ip)
    if (!result.ok) return sendFailure(res, config.onFailure ? await config.onFailure(result.response, req) : result.response)
    req.apiKey = result.key
    // Express gives every response `locals`; a bare response (outside Express's router) gets one here.
    ;((res.locals as Record<symbol, unknown> | undefined) ?? (res.locals = Object.create(null)))[CONFIG] = config
    if (result.headers !== undefined) res.set(result.headers)
    next()
  }
}

/**
 * Guard one route: the effective scopes of the key `apiKeyAuth` verified (its own and its roles',
 * within its owner's; `contacts:*` and `*` grants count) must hold every one of `scopes`, or one of
 * them with `requireScopes({ anyOf: [...] })`. 403 with `WWW-Authenticate: Bearer
 * error="insufficient_scope", scope="…"` naming every missing scope (every alternative for `anyOf`)
 * otherwise, and 401 when no key was verified (also when `apiKeyAuth` did not run: fail closed).
 * Throws a `TypeError` at once for a malformed requirement.
 *
 * @example
 * app.post('/v1/contacts/sync', requireScopes('contacts:sync'), syncContacts)
 * app.get('/v1/contacts', requireScopes({ anyOf: ['contacts:read', 'contacts:write'] }), listContacts)
 */
export function requireScopes<S extends string = string>(...scopes: [S, ...S[]]): RequestHandler
export function requireScopes<S extends string = string>(
  requirement: { readonly anyOf: readonly S[] } | { readonly allOf: readonly S[] },
): RequestHandler
export function requireScopes(...args: unknown[]): RequestHandler {
  const required = scopeRequirementOf(args)
  return async function keywardRequireScopes(req: Request, res: Response, next: NextFunction): Promise<void> {
    const config =
      ((res.locals as Record<symbol, unknown> | undefined)?.[CONFIG] as HttpAuthConfig<string, Request> | undefined) ?? DEFAULT_CONFIG
    const refusal = requireScopesResponse(req.apiKey, required, config.realm)
    if (refusal === null) return next()
    sendFailure(res, config.onFailure ? await config.onFailure(refusal, req) : refusal)
  }
}
export { keyManagementRouter, type KeyManagementOptions } from './management.js'
export { secretScanningRoute } from './secret-scanning.js'
