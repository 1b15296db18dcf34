/**
 * `withApiKey`: Keyward for any handler that takes a Web `Request` and returns a `Response` — Next.js
 * route handlers, `Bun.serve`, `Deno.serve`, Cloudflare Workers' `fetch`, Hono's `c.req.raw`. The
 * same credential rules, the same refusals byte for byte as the Express, Koa and Fastify adapters
 * (core's one mapping), and the verified key at `getApiKey(request)`.
 */
import type { Keyward } from '../api.js'
import type { ApiKeyInfo } from '../types.js'
import {
  assertProxyTrust,
  forwardedClient,
  runtimePeerAddress,
  TRUST_EVERY_PROXY_WARNING,
  type ProxyTrustSetting,
} from './client-address.js'
import { credentialHeaders } from './fetch-headers.js'
import type { ScopeRequirement } from '../scopes.js'
import {
  authenticateRequest,
  requireScopesResponse,
  resolveHttpAuthOptions,
  scopeRequirementOf,
  type HttpAuthConfig,
  type HttpAuthOptions,
} from './mapping.js'
import { problemJson, type HttpFailureResponse } from './problem.js'

/** A handler of a Web-standard runtime: the request, then whatever the runtime passes beside it. */
export type FetchHandler<A extends unknown[] = unknown[]> = (request: Request, ...rest: A) => Response | Promise<Response>

/** A wrapped handler: the runtime's arguments pass through, and more may come (Next.js passes a context). */
export type WrappedFetchHandler<A extends unknown[] = unknown[]> = (request: Request, ...rest: [...A, ...unknown[]]) => Promise<Response>

/** Options of {@link withApiKey}: those of every adapter, plus where the client address comes from. */
export interface WithApiKeyOptions<S extends string = string, A extends unknown[] = unknown[]> extends HttpAuthOptions<S, Request> {
  /**
   * The address of the peer that sent `request`, for failed-attempt throttling (a `Request` has
   * none). Gets the handler's arguments. By default it is found where each runtime puts it: Bun's
   * `server.requestIP(request)`, Deno's `info.remoteAddr`, `@hono/node-server`'s socket, Cloudflare's
   * `CF-Connecting-IP` inside workerd; nothing on Next.js (no per-source throttling there unless you
   * say, e.g. `source: (request) => request.headers.get('x-real-ip') ?? undefined` behind Vercel's proxy).
   */
  source?: (request: Request, ...rest: A) => string | null | undefined
  /**
   * Proxies trusted to name the client in `X-Forwarded-For`, as Express's `trust proxy`: `1` behind
   * one proxy (the address it saw), a number of hops, or `false`. `true` trusts every proxy, so the
   * client picks its own address; `console.warn` says so once per handler.
   * @default false
   */
  trustProxy?: ProxyTrustSetting
}

/** What a wrapped handler remembers of the `withApiKey` that ran for a request. */
interface RequestAuth {
  key: ApiKeyInfo | null
  config: HttpAuthConfig<string, Request>
}

// Beside the request, not on it: a Request's own properties are read-only in some runtimes.
const VERIFIED = new WeakMap<Request, RequestAuth>()
const DEFAULT_CONFIG = resolveHttpAuthOptions<string, Request>()

/**
 * The key `withApiKey` verified for `request`: its public view, `null` when the handler runs with
 * `optional: true` and the request carried no key, `undefined` when no `withApiKey` ran for it.
 * @example
 * export const GET = withApiKey(keyward, (request) => Response.json({ team: getApiKey(request)!.ownerId }))
 */
export function getApiKey<S extends string = string>(request: Request): ApiKeyInfo<S> | null | undefined {
  return VERIFIED.get(request)?.key as ApiKeyInfo<S> | null | undefined
}

/** A refusal as a Web `Response`: status, headers and the problem+json bytes every adapter sends. */
function failureResponse(response: HttpFailureResponse): Response {
  const body = new TextEncoder().encode(problemJson(response))
  return new Response(body, { status: response.status, headers: { ...response.headers, 'content-length': String(body.byteLength) } })
}

/** `response` with `headers` added (a copy when its headers are immutable, as for a `fetch` answer). */
function withResponseHeaders(response: Response, headers: Record<string, string> | undefined): Response {
  if (headers === undefined) return response
  try {
    for (const name in headers) response.headers.set(name, headers[name]!)
    return response
  } catch {
    const copy = new Response(response.body, response)
    for (const name in headers) copy.headers.set(name, headers[name]!)
    return copy
  }
}

function assertKeyward(keyward: unknown): asserts keyward is Keyward<string> {
  if (keyward === null || typeof keyward !== 'object' || typeof (keyward as Keyward).verify !== 'function')
    throw new TypeError('withApiKey(keyward, handler) needs the instance returned by createKeyward()')
}

function assertHandler(handler: unknown): asserts handler is FetchHandler {
  if (typeof handler !== 'function') throw new TypeError('withApiKey(keyward, handler) needs a handler: (request) => Response')
}

/**
 * Wrap `handler` so it runs only for a request with a valid API key in `Authorization: Bearer <key>`
 * or `X-API-Key`; the key's public view is then `getApiKey(request)`. Refusals are those of every
 * Keyward adapter: 401 (missing or bad key), 400 (malformed credential, two different keys), 403
 * (missing scopes; a key used from an address its `allowedIps` leave out), 429 (limits), 503 (store
 * unreachable, fail closed), with `WWW-Authenticate` and a problem+json body. Throws a `TypeError`
 * at once for invalid options.
 *
 * @example
 * // Next.js (app/api/messages/route.ts)
 * export const POST = withApiKey(keyward, async (request) => Response.json({ sentBy: getApiKey(request)!.name }), {
 *   scopes: ['messages:send'],
 * })
 * // Bun
 * Bun.serve({ fetch: withApiKey(keyward, (request) => new Response('ok')) })
 * // Deno
 * Deno.serve(withApiKey(keyward, (request) => new Response('ok')))
 * // Cloudflare Workers
 * export default { fetch: withApiKey(keyward, (request, env, ctx) => new Response('ok')) }
 */
export function withApiKey<S extends string = string, A extends unknown[] = unknown[]>(
  keyward: Keyward<S>,
  handler: FetchHandler<A>,
  options: WithApiKeyOptions<NoInfer<S>, A> = {},
): WrappedFetchHandler<A> {
  assertKeyward(keyward)
  assertHandler(handler)
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError('options must be an object')
  const { source, trustProxy = false, ...common } = options
  if (source !== undefined && typeof source !== 'function') throw new TypeError('options.source must be a function: (request) => address')
  assertProxyTrust(trustProxy, 'options.trustProxy')
  const config = resolveHttpAuthOptions<S, Request>(common) as HttpAuthConfig<string, Request>
  let warned = false
  return async function keywardWithApiKey(request: Request, ...args: [...A, ...unknown[]]): Promise<Response> {
    const rest = args as unknown as A
    if (trustProxy === true && !warned) {
      warned = true
      console.warn(TRUST_EVERY_PROXY_WARNING)
    }
    const peer = source ? (source(request, ...rest) ?? undefined) : runtimePeerAddress(request, rest[0])
    const client = forwardedClient(request.headers, peer, trustProxy)
    const result = await authenticateRequest(keyward as Keyward<string>, credentialHeaders(request.headers, config.headers), config, client)
    if (!result.ok) return failureResponse(config.onFailure ? await config.onFailure(result.response, request) : result.response)
    VERIFIED.set(request, { key: result.key, config })
    return withResponseHeaders(await handler(request, ...rest), result.headers)
  }
}

/**
 * Guard one handler inside `withApiKey`: the verified key's effective scopes (its own and its roles',
 * within its owner's; `contacts:*` and `*` grants count) must hold every one of `scopes`, or one of
 * them for `{ anyOf: [...] }`. 403 with `WWW-Authenticate: Bearer error="insufficient_scope",
 * scope="…"` naming every missing scope (every alternative for `anyOf`) otherwise, and 401 when no
 * key was verified (also when no `withApiKey` ran: fail closed). Refusals use the realm and
 * `onFailure` of the `withApiKey` around it. Throws a `TypeError` at once for a malformed requirement.
 *
 * @example
 * const api = (handler) => withApiKey(keyward, handler)
 * export const POST = api(requireScopes(['contacts:sync'], syncContacts))
 * export const GET = api(requireScopes({ anyOf: ['contacts:read', 'contacts:write'] }, listContacts))
 */
export function requireScopes<A extends unknown[] = unknown[], S extends string = string>(
  scopes: readonly [S, ...S[]] | Exclude<ScopeRequirement<S>, readonly S[]>,
  handler: FetchHandler<A>,
): WrappedFetchHandler<A> {
  const required = scopeRequirementOf([scopes], 'requireScopes')
  assertHandler(handler)
  return async function keywardRequireScopes(request: Request, ...args: [...A, ...unknown[]]): Promise<Response> {
    const rest = args as unknown as A
    const auth = VERIFIED.get(request)
    const config = auth?.config ?? DEFAULT_CONFIG
    const refusal = requireScopesResponse(auth?.key, required, config.realm)
    if (refusal === null) return handler(request, ...rest)
    return failureResponse(config.onFailure ? await config.onFailure(refusal, request) : refusal)
  }
}
