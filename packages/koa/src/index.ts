/**
 * Koa 3 middleware for Keyward API keys: `app.use(apiKeyAuth(keyward))` protects routes,
 * `requireScopes('messages:send')` guards one. Every refusal comes from `@keyward/core`'s HTTP
 * mapping, so Koa, Express and Fastify answer byte for byte the same.
 */
import type { ApiKeyInfo, Keyward } from '@keyward/core'
import {
  authenticateRequest,
  problemJson,
  requireScopesResponse,
  resolveHttpAuthOptions,
  scopeRequirementOf,
  type HttpAuthConfig,
  type HttpAuthOptions,
  type HttpFailureResponse,
} from '@keyward/core/http'
import type Koa from 'koa'
import type { Context, Middleware, Next } from 'koa'

declare module 'koa' {
  interface DefaultState {
    /**
     * The verified API key, set by `apiKeyAuth`: its public view (never the secret or digest).
     * `null` when the middleware runs with `optional: true` and the request has no key;
     * `undefined` where the middleware does not run.
     */
    apiKey?: ApiKeyInfo | null
  }
}

/** Options of {@link apiKeyAuth}. `onFailure` receives the Koa context. */
export type ApiKeyAuthOptions<S extends string = string> = HttpAuthOptions<S, Context>

export type { ApiKeyInfo } from '@keyward/core'
export type { HttpFailureResponse, KeyManagementActor } from '@keyward/core/http'

/** Where `requireScopes` finds the realm and `onFailure` hook of the `apiKeyAuth` that ran. */
// Beside the context, not on it: a keyed (symbol) property added per request can push the object
// into slow dictionary mode (it did for Express's request).
const CONFIG = new WeakMap<Context, HttpAuthConfig<string, Context>>()
const DEFAULT_CONFIG = resolveHttpAuthOptions<string, Context>()

/** Apps already checked for a trust-every-proxy setting: one warning per app at most. */
const CHECKED_APPS = new WeakSet<Koa>()

/**
 * Warn once per app when Koa trusts every proxy (`app.proxy` with `maxIpsCount` 0): `ctx.ip`, the
 * address failed-key throttling counts, is then the leftmost `X-Forwarded-For` entry, which the
 * client writes.
 */
function checkProxyTrust(app: Koa): void {
  if (CHECKED_APPS.has(app)) return
  CHECKED_APPS.add(app)
  if (app.proxy && !app.maxIpsCount)
    console.warn(
      '[keyward] Koa app.proxy is true with app.maxIpsCount 0, so ctx.ip is the leftmost X-Forwarded-For address, ' +
        'which the client writes itself: a client can dodge failed-key throttling or get another address throttled. ' +
        'Set app.maxIpsCount to the number of proxies in front of the app (app.maxIpsCount = 1 behind one).',
    )
}

function assertKeyward(keyward: unknown): asserts keyward is Keyward<string> {
  if (keyward === null || typeof keyward !== 'object' || typeof (keyward as Keyward).verify !== 'function')
    throw new TypeError('apiKeyAuth(keyward) needs the instance returned by createKeyward()')
}

/** Write a refusal exactly as core renders it. Downstream middleware does not run. */
async function refuse(ctx: Context, config: HttpAuthConfig<string, Context>, response: HttpFailureResponse): Promise<void> {
  const final = config.onFailure ? await config.onFailure(response, ctx) : response
  ctx.status = final.status
  ctx.set(final.headers)
  // The content type is already set, so Koa keeps it (no charset added) and sets Content-Length.
  ctx.body = problemJson(final)
}

/**
 * Authenticate every request under this middleware with an API key from
 * `Authorization: Bearer <key>` or `X-API-Key`, and put the key's public view at
 * `ctx.state.apiKey`. Refusals: 401 (missing or bad key), 400 (malformed credential, two different
 * keys), 403 (missing scopes, or an address the key's `allowedIps` leave out), 429 (limits), 503
 * (store unreachable, fail closed) — always with `WWW-Authenticate` and a problem+json body. Throws
 * a `TypeError` at once for invalid options.
 *
 * The client address for failed-attempt throttling is `ctx.ip`: behind a proxy, set
 * `app.proxy = true` AND `app.maxIpsCount` to the number of proxies (1 behind one); with
 * `maxIpsCount` 0 the client picks its own address, and `console.warn` says so once per app.
 *
 * @example
 * import Koa from 'koa'
 * import { apiKeyAuth } from '@keyward/koa'
 *
 * const app = new Koa()
 * app.use(apiKeyAuth(keyward))
 * app.use((ctx) => {
 *   ctx.body = { key: ctx.state.apiKey!.name }
 * })
 */
export function apiKeyAuth<S extends string = string>(keyward: Keyward<S>, options?: ApiKeyAuthOptions<NoInfer<S>>): Middleware {
  assertKeyward(keyward)
  const config = resolveHttpAuthOptions<S, Context>(options) as HttpAuthConfig<string, Context>
  let lastApp: Koa | undefined
  return async function keywardApiKeyAuth(ctx: Context, next: Next): Promise<void> {
    if (ctx.app !== lastApp) checkProxyTrust((lastApp = ctx.app))
    const result = await authenticateRequest(keyward, ctx.req.rawHeaders, config, ctx.ip)
    if (!result.ok) return refuse(ctx, config, result.response)
    ctx.state.apiKey = result.key
    CONFIG.set(ctx, config)
    if (result.headers !== undefined) ctx.set(result.headers)
    await next()
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
 * router.post('/v1/messages', requireScopes('messages:send'), sendMessage)
 * router.get('/v1/contacts', requireScopes({ anyOf: ['contacts:read', 'contacts:write'] }), listContacts)
 */
export function requireScopes<S extends string = string>(...scopes: [S, ...S[]]): Middleware
export function requireScopes<S extends string = string>(
  requirement: { readonly anyOf: readonly S[] } | { readonly allOf: readonly S[] },
): Middleware
export function requireScopes(...args: unknown[]): Middleware {
  const required = scopeRequirementOf(args)
  return async function keywardRequireScopes(ctx: Context, next: Next): Promise<void> {
    const config = CONFIG.get(ctx) ?? DEFAULT_CONFIG
    const refusal = requireScopesResponse(ctx.state.apiKey, required, config.realm)
    if (refusal !== null) return refuse(ctx, config, refusal)
    await next()
  }
}
export { keyManagementMiddleware, type KeyManagementOptions } from './management.js'
export { secretScanningMiddleware } from './secret-scanning.js'
