/**
 * Fastify 5 plugin for Keyward API keys: `app.register(apiKeyAuth, { keyward })` authenticates
 * every route of the encapsulation context it is registered in (in `onRequest`); scopes per route
 * come from the route's `config.apiKey.scopes` or the `requireScopes(...)` pre-handler. Every
 * refusal comes from `@keyward/core`'s HTTP mapping, so Fastify, Express and Koa answer byte for
 * byte the same.
 */
import type { ApiKeyInfo, Keyward } from '@keyward/core'
import {
  authenticateRequest,
  problemJson,
  requireScopesResponse,
  resolveHttpAuthOptions,
  scopeRequirementOf,
  type CheckedRequirement,
  type HttpAuthConfig,
  type ScopeRequirement,
  type HttpAuthOptions,
  type HttpFailureResponse,
} from '@keyward/core/http'
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  RouteOptions,
  preHandlerAsyncHookHandler,
} from 'fastify'
import fp from 'fastify-plugin'
import { ownOptions } from './web.js'

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The verified API key, set by the `apiKeyAuth` plugin: its public view (never the secret or
     * digest). `null` on an optional or public route without a key; `undefined` outside the
     * encapsulation context the plugin is registered in (it decorates only that context).
     */
    apiKey: ApiKeyInfo | null
  }
  interface FastifyContextConfig {
    /**
     * Per-route API-key settings read by `apiKeyAuth`: extra `scopes` this route needs (all of a
     * list, or `{ anyOf: [...] }` / `{ allOf: [...] }`), or `false` to leave this route public (no
     * key needed, none verified).
     * @example app.post('/v1/messages', { config: { apiKey: { scopes: ['messages:send'] } } }, handler)
     */
    apiKey?: false | { scopes?: ScopeRequirement }
  }
}

export type { ApiKeyInfo } from '@keyward/core'
export type { HttpFailureResponse, KeyManagementActor } from '@keyward/core/http'

/** Options of the {@link apiKeyAuth} plugin: the Keyward instance and the shared adapter options. */
export interface ApiKeyAuthOptions<S extends string = string> extends HttpAuthOptions<S, FastifyRequest> {
  /** The instance returned by `createKeyward()`, with typed scopes or not. */
  // biome-ignore lint/suspicious/noExplicitAny: a Keyward<'a' | 'b'> is not assignable to Keyward<string> (its methods take S-typed input)
  keyward: Keyward<any>
}

type Config = HttpAuthConfig<string, FastifyRequest>
/**
 * Route-level settings resolved once per route: the plugin's config and the scopes the route's
 * `config.apiKey.scopes` adds (checked as `requireScopes` checks them), or null for a public route.
 */
type RouteAuth = { config: Config; scopes: CheckedRequirement | null } | null

/** Request decorator holding the config that authenticated it, for `requireScopes`. */
const CONFIG = Symbol.for('keyward.fastify.config')
type WithConfig = FastifyRequest & { [CONFIG]: Config | null }
const DEFAULT_CONFIG = resolveHttpAuthOptions<string, FastifyRequest>()

/**
 * A stand-in request for Fastify's own `ip` getter: a peer at a documentation address forwarding
 * ten hops of `X-Forwarded-For`. Only a setting that trusts every proxy (`trustProxy: true`, or a
 * function or range that admits anything) answers with the leftmost, client-written entry.
 */
const TRUST_PROBE = {
  raw: {
    headers: { 'x-forwarded-for': ['198.51.100.1', ...Array.from({ length: 9 }, (_, i) => `192.0.2.${i + 2}`)].join(', ') },
    socket: { remoteAddress: '192.0.2.1' },
  },
}
/** `ip` getters already checked: Fastify defines one per root instance that sets `trustProxy`. */
const CHECKED_GETTERS = new WeakSet<object>()

/**
 * Warn once per app when Fastify trusts every proxy: `request.ip`, the address failed-key
 * throttling counts, is then the leftmost `X-Forwarded-For` entry, which the client writes. Fastify
 * does not expose its `trustProxy` option, so its `ip` getter is asked about {@link TRUST_PROBE}.
 */
function checkProxyTrust(request: FastifyRequest): void {
  let owner: object | null = request
  while (owner !== null && !Object.hasOwn(owner, 'ip')) owner = Object.getPrototypeOf(owner)
  const getter = owner && Object.getOwnPropertyDescriptor(owner, 'ip')?.get
  if (!getter || CHECKED_GETTERS.has(getter)) return
  CHECKED_GETTERS.add(getter)
  let ip: unknown
  try {
    ip = getter.call(TRUST_PROBE)
  } catch {
    return // another Fastify version's internals: no warning rather than a failed request
  }
  if (ip === '198.51.100.1')
    console.warn(
      '[keyward] Fastify trusts every proxy (trustProxy: true), so request.ip is the leftmost X-Forwarded-For address, ' +
        'which the client writes itself: a client can dodge failed-key throttling or get another address throttled. ' +
        "Trust only your proxies' addresses, like Fastify({ trustProxy: ['10.0.0.1'] }).",
    )
}

async function refuse(reply: FastifyReply, config: Config, response: HttpFailureResponse, request: FastifyRequest): Promise<FastifyReply> {
  const final = config.onFailure ? await config.onFailure(response, request) : response
  // A Buffer, so Fastify keeps the content type exactly (it appends a charset to JSON strings).
  return reply
    .code(final.status)
    .headers(final.headers)
    .send(Buffer.from(problemJson(final)))
}

/** Per-route settings: the plugin's own, plus the route's `config.apiKey`. Validated when the route is added. */
function resolveRoute(base: Config, routeConfig: unknown, where: string): RouteAuth {
  const setting = (routeConfig as { apiKey?: unknown } | undefined)?.apiKey
  if (setting === undefined) return { config: base, scopes: null }
  if (setting === false) return null
  if (setting === null || typeof setting !== 'object' || Array.isArray(setting))
    throw new TypeError(`${where}: config.apiKey must be false or { scopes: [...] } (or { scopes: { anyOf: [...] } })`)
  const { scopes, ...rest } = setting as { scopes?: unknown }
  if (Object.keys(rest).length > 0)
    throw new TypeError(`${where}: config.apiKey accepts only "scopes", got ${Object.keys(rest).join(', ')}`)
  if (scopes === undefined) return { config: base, scopes: null }
  let extra: CheckedRequirement
  try {
    extra = resolveHttpAuthOptions({ scopes: scopes as ScopeRequirement }).scopes
  } catch (error) {
    throw new TypeError(`${where}: config.apiKey.${(error as Error).message.replace(/^options\./, '')}`)
  }
  return { config: base, scopes: extra.scopes.length > 0 ? extra : null }
}

const plugin: FastifyPluginCallback<ApiKeyAuthOptions> = (fastify: FastifyInstance, opts, done) => {
  try {
    setUp(fastify, opts)
  } catch (error) {
    // Reported through Fastify, so `register`/`ready` rejects with the TypeError.
    return done(error as Error)
  }
  done()
}

function setUp(fastify: FastifyInstance, opts: ApiKeyAuthOptions): void {
  const { keyward, ...rest } = opts
  if (keyward === null || typeof keyward !== 'object' || typeof (keyward as Keyward).verify !== 'function')
    throw new TypeError('register(apiKeyAuth, { keyward }) needs the instance returned by createKeyward()')
  const config = resolveHttpAuthOptions<string, FastifyRequest>(ownOptions(rest))

  if (!fastify.hasRequestDecorator('apiKey')) fastify.decorateRequest('apiKey', null)
  if (!fastify.hasRequestDecorator(CONFIG)) fastify.decorateRequest(CONFIG as unknown as string, null)

  // Route settings are resolved once: eagerly (with a TypeError at registration) for routes added
  // after the plugin, lazily for any other route of this context. Keyed by the route's config object.
  const routes = new WeakMap<object, RouteAuth>()
  fastify.addHook('onRoute', (route: RouteOptions) => {
    resolveRoute(config, route.config, `${route.method} ${route.url}`)
  })

  let checked = false
  fastify.addHook('onRequest', async function keywardApiKeyAuth(request: FastifyRequest, reply: FastifyReply) {
    if (!checked) {
      checked = true
      checkProxyTrust(request)
    }
    const routeConfig = request.routeOptions.config as object
    let auth = routes.get(routeConfig)
    if (auth === undefined) routes.set(routeConfig, (auth = resolveRoute(config, routeConfig, request.routeOptions.url ?? '')))
    if (auth === null) return
    const result = await authenticateRequest(keyward, request.raw.rawHeaders, auth.config, request.ip)
    if (!result.ok) return refuse(reply, auth.config, result.response, request)
    request.apiKey = result.key
    ;(request as WithConfig)[CONFIG] = auth.config
    if (result.headers !== undefined) reply.headers(result.headers)
    // The route's own scopes answer as requireScopes does (a 403 after the key was admitted, with its
    // RateLimit headers), so both ways of guarding a route, and Express and Koa, answer alike.
    // An anonymous request on an optional route has no key to hold them.
    if (auth.scopes === null || result.key === null) return
    const refusal = requireScopesResponse(result.key, auth.scopes, auth.config.realm)
    if (refusal !== null) return refuse(reply, auth.config, refusal, request)
  })
}

/**
 * Authenticate every route of the context this plugin is registered in, with an API key from
 * `Authorization: Bearer <key>` or `X-API-Key`; the key's public view is at `request.apiKey`.
 * Built with `fastify-plugin`, so it guards the context you register it in and its children, and no
 * sibling. Refusals: 401 (missing or bad key), 400 (malformed credential, two different keys), 403
 * (missing scopes, or an address the key's `allowedIps` leave out), 429 (limits), 503 (store
 * unreachable, fail closed) — always with `WWW-Authenticate` and a problem+json body. Invalid
 * options throw a `TypeError` at registration.
 *
 * The client address for failed-attempt throttling is `request.ip`: behind a proxy, trust exactly
 * your proxies' addresses (`Fastify({ trustProxy: ['10.0.0.1'] })`), never `true`, with which the
 * client picks its own address; `console.warn` says so once per app.
 *
 * @example
 * import Fastify from 'fastify'
 * import { apiKeyAuth } from '@keyward/fastify'
 *
 * const app = Fastify()
 * await app.register(apiKeyAuth, { keyward })
 * app.get('/v1/me', async (request) => ({ name: request.apiKey!.name }))
 * app.post('/v1/messages', { config: { apiKey: { scopes: ['messages:send'] } } }, sendMessage)
 */
export const apiKeyAuth = fp(plugin, { name: '@keyward/fastify', fastify: '4.x || 5.x' })

/**
 * A `preHandler`: the effective scopes of the key the plugin verified (its own and its roles',
 * within its owner's; `contacts:*` and `*` grants count) must hold every one of `scopes`, or one of
 * them with `requireScopes({ anyOf: [...] })`. 403 with `WWW-Authenticate: Bearer
 * error="insufficient_scope", scope="…"` naming every missing scope (every alternative for `anyOf`)
 * otherwise, and 401 when no key was verified (also outside the plugin's scope: fail closed).
 * Throws a `TypeError` at once for a malformed requirement.
 *
 * @example
 * app.post('/v1/contacts/sync', { preHandler: requireScopes('contacts:sync') }, syncContacts)
 * app.get('/v1/contacts', { preHandler: requireScopes({ anyOf: ['contacts:read', 'contacts:write'] }) }, listContacts)
 */
export function requireScopes<S extends string = string>(...scopes: [S, ...S[]]): preHandlerAsyncHookHandler
export function requireScopes<S extends string = string>(
  requirement: { readonly anyOf: readonly S[] } | { readonly allOf: readonly S[] },
): preHandlerAsyncHookHandler
export function requireScopes(...args: unknown[]): preHandlerAsyncHookHandler {
  const required = scopeRequirementOf(args)
  return async function keywardRequireScopes(request: FastifyRequest, reply: FastifyReply) {
    const config = (request as WithConfig)[CONFIG] ?? DEFAULT_CONFIG
    const refusal = requireScopesResponse(request.apiKey, required, config.realm)
    if (refusal !== null) return refuse(reply, config, refusal, request)
  }
}

export { keyManagementPlugin, type KeyManagementPluginOptions } from './management.js'
export { secretScanningPlugin, type SecretScanningPluginOptions } from './secret-scanning.js'

export default apiKeyAuth
