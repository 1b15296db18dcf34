/**
 * Hono middleware for Keyward API keys, on every runtime Hono runs on (Node, Bun, Deno, Cloudflare
 * Workers): `app.use('/v1/*', apiKeyAuth(keyward))` protects routes, `requireScopes('messages:send')`
 * guards one, and the verified key is `c.get('apiKey')`. Built on core's `withApiKey`, so every
 * refusal is byte for byte the one Express, Koa and Fastify send.
 */
import type { ApiKeyInfo, Keyward } from '@keyward/core'
import {
  getApiKey,
  requireScopes as requireScopesFor,
  scopeRequirementOf,
  withApiKey,
  type HttpAuthOptions,
  type HttpFailureResponse,
} from '@keyward/core/http'
import type { Context, MiddlewareHandler, Next } from 'hono'

export type { ApiKeyInfo } from '@keyward/core'
export type { HttpFailureResponse, KeyManagementActor } from '@keyward/core/http'
export { keyManagement, secretScanningRoute, type KeyManagementOptions } from './routes.js'

/**
 * The Hono environment `apiKeyAuth` provides: `c.get('apiKey')` is the verified key's public view,
 * `null` with `optional: true` and no key.
 * @example
 * const app = new Hono<ApiKeyEnv<'messages:send'>>()
 */
export interface ApiKeyEnv<S extends string = string> {
  Variables: { apiKey: ApiKeyInfo<S> | null }
}

/** Options of {@link apiKeyAuth}. `onFailure` receives the Hono context. */
export interface ApiKeyAuthOptions<S extends string = string> extends HttpAuthOptions<S, Context> {
  /**
   * The peer address, for failed-attempt throttling. By default where each runtime puts it
   * (`@hono/node-server`'s socket, Bun's `requestIP`, Deno's `remoteAddr`, Cloudflare's
   * `CF-Connecting-IP` inside workerd), the same as `getConnInfo(c).remote.address`.
   * @example source: (c) => getConnInfo(c).remote.address
   */
  source?: (c: Context) => string | null | undefined
  /**
   * Proxies trusted to name the client in `X-Forwarded-For`: `1` behind one proxy, a number of
   * hops, or `false`. `true` trusts every proxy, so the client picks its own address
   * (`console.warn` says so once per middleware).
   * @default false
   */
  trustProxy?: boolean | number
}

/** Hono passes the runtime's context as `c.env`: Bun's server, Deno's info, node-server's sockets, Workers' bindings. */
type Rest = [env: unknown, c: Context, next: Next]

const passOn = async (_request: Request, _env: unknown, c: Context, next: Next): Promise<Response> => {
  await next()
  return c.res
}

function onto(c: Context, response: Response): void {
  // A refusal (or the route's answer with rate-limit headers added): what the client gets.
  if (response !== c.res) c.res = response
}

/**
 * Authenticate every request under this middleware with an API key from `Authorization: Bearer
 * <key>` or `X-API-Key`; the key's public view is then `c.get('apiKey')`. Refusals: 401 (missing or
 * bad key), 400 (malformed credential, two different keys), 403 (missing scopes, or an address the
 * key's `allowedIps` leave out), 429 (limits), 503 (store unreachable, fail closed), always with
 * `WWW-Authenticate` and a problem+json body. Throws a `TypeError` at once for invalid options.
 *
 * @example
 * import { Hono } from 'hono'
 * import { apiKeyAuth, requireScopes, type ApiKeyEnv } from '@keyward/hono'
 *
 * const app = new Hono<ApiKeyEnv>()
 * app.use('/v1/*', apiKeyAuth(keyward))
 * app.post('/v1/messages', requireScopes('messages:send'), (c) => c.json({ sentBy: c.get('apiKey')!.name }))
 */
export function apiKeyAuth<S extends string = string>(
  keyward: Keyward<S>,
  options: ApiKeyAuthOptions<NoInfer<S>> = {},
): MiddlewareHandler<ApiKeyEnv<S>> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError('options must be an object')
  const { source, onFailure, ...rest } = options
  if (source !== undefined && typeof source !== 'function') throw new TypeError('options.source must be a function: (c) => address')
  if (onFailure !== undefined && typeof onFailure !== 'function') throw new TypeError('options.onFailure must be a function')
  const contexts = new WeakMap<Request, Context>()
  const guarded = withApiKey<S, Rest>(keyward, passOn, {
    ...rest,
    ...(source && { source: (_request: Request, _env: unknown, c: Context) => source(c) }),
    ...(onFailure && { onFailure: (response: HttpFailureResponse, request: Request) => onFailure(response, contexts.get(request)!) }),
  })
  return async function keywardApiKeyAuth(c, next) {
    if (onFailure) contexts.set(c.req.raw, c)
    const response = await guarded(c.req.raw, c.env, c, async () => {
      c.set('apiKey', getApiKey<S>(c.req.raw) ?? null)
      await next()
    })
    onto(c, response)
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
// Returns a plain MiddlewareHandler: an environment of its own would intersect with the app's and
// leave `c.get('apiKey')` typed `never` in the route after it.
export function requireScopes<S extends string = string>(...scopes: [S, ...S[]]): MiddlewareHandler
export function requireScopes<S extends string = string>(
  requirement: { readonly anyOf: readonly S[] } | { readonly allOf: readonly S[] },
): MiddlewareHandler
export function requireScopes(...args: unknown[]): MiddlewareHandler {
  // Checked here, so that the TypeError names requireScopes(...) as it was called.
  const { mode, scopes } = scopeRequirementOf(args)
  const guarded = requireScopesFor<Rest>(mode === 'any' ? { anyOf: scopes } : (scopes as [string, ...string[]]), passOn)
  return async function keywardRequireScopes(c, next) {
    onto(c, await guarded(c.req.raw, c.env, c, next))
  }
}
