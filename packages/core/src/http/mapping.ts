/**
 * The HTTP mapping shared by every framework adapter: the options, where the key comes from, one
 * request's verification and the scope guard. The refusals themselves (status, challenge, problem
 * body) are in `responses.ts`. Adapters only copy the result onto their response object, so Express,
 * Koa, Fastify, Hono and `withApiKey` answer byte for byte the same.
 */
import type { Keyward } from '../api.js'
import { type CheckedRequirement, checkScopeRequirement, isValidScope, type ScopeRequirement, unmetScopes } from '../scopes.js'
import type { ApiKeyInfo } from '../types.js'
import { extractCredential } from './credentials.js'
import type { HttpFailureResponse } from './problem.js'
import {
  conflictingCredentialsResponse,
  insufficientScopeResponse,
  malformedCredentialResponse,
  missingCredentialsResponse,
  policiesOf,
  rateLimitHeaders,
  verifyFailureResponse,
} from './responses.js'
import { clientAddress } from './source.js'

/**
 * Customise a failure before it is sent: return a replacement response (or nothing to send
 * `response` as is). Runs for every refusal (400, 401, 403, 429, 503), also in `requireScopes`.
 * It receives no key: `response.body.key` is the redacted display form at most.
 */
export type HttpFailureHook<R = unknown> = (
  response: HttpFailureResponse,
  request: R,
) => HttpFailureResponse | undefined | void | Promise<HttpFailureResponse | undefined | void>

/** Adapter options shared by Express, Koa and Fastify. `R` is the framework's request (or context). */
export interface HttpAuthOptions<S extends string = string, R = unknown> {
  /**
   * Request headers that may carry the key, lowercase. `authorization` is read as
   * `Authorization: Bearer <key>`; any other header carries the bare key.
   * @default ['authorization', 'x-api-key']
   */
  headers?: string[]
  /**
   * Let requests without credentials through (with no key attached). A presented key is still
   * verified, and a bad one is still refused.
   * @default false
   */
  optional?: boolean
  /**
   * Scopes every request under this middleware needs: all of a list (`['a', 'b']`, or
   * `{ allOf: ['a', 'b'] }`), or one of them (`{ anyOf: ['a', 'b'] }`). Checked against the key's
   * effective scopes (its own and its roles', within its owner's).
   * @example scopes: { anyOf: ['contacts:read', 'contacts:write'] }
   */
  scopes?: ScopeRequirement<S>
  /**
   * Realm in the `WWW-Authenticate` challenge.
   * @default 'api'
   */
  realm?: string
  /**
   * Customise refusals, for example to log them or to add a `link` to your docs.
   * @example
   * onFailure: (response) => ({ ...response, body: { ...response.body, detail: `${response.body.detail} See https://acme.dev/keys` } })
   */
  onFailure?: HttpFailureHook<R>
}

/** Validated adapter options. */
export interface HttpAuthConfig<S extends string = string, R = unknown> {
  headers: readonly string[]
  optional: boolean
  /** The checked requirement: `all` of `scopes` (none when empty), or `any` one of them. */
  scopes: CheckedRequirement & { scopes: readonly S[] }
  realm: string
  /**
   * The `onFailure` option made safe: always resolves to the response to send (the hook's
   * replacement, or the original when it returned nothing usable). Undefined without a hook.
   */
  onFailure: ((response: HttpFailureResponse, request: R) => Promise<HttpFailureResponse>) | undefined
}

/** The outcome of authenticating one request. `headers` (lowercase) are for the successful response. */
export type HttpAuthResult<S extends string = string> =
  | { ok: true; key: ApiKeyInfo<S> | null; headers?: Record<string, string> }
  | { ok: false; response: HttpFailureResponse }

const HEADER_NAME_RE = /^[a-z0-9!#$%&'*+.^_`|~-]+$/
const REALM_RE = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,100}$/

const OPTION_NAMES = new Set(['headers', 'optional', 'scopes', 'realm', 'onFailure'])

/**
 * Validate adapter options once, when the middleware is built. Throws `TypeError` for anything
 * wrong, including an unknown option name (a misspelt `scope:` must not silently guard nothing).
 */
export function resolveHttpAuthOptions<S extends string, R = unknown>(options: HttpAuthOptions<S, R> = {}): HttpAuthConfig<S, R> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError('options must be an object')
  for (const name of Object.keys(options))
    if (!OPTION_NAMES.has(name)) throw new TypeError(`unknown option "${name}": expected one of ${[...OPTION_NAMES].join(', ')}`)
  const headers = options.headers ?? ['authorization', 'x-api-key']
  if (!Array.isArray(headers) || headers.length === 0 || !headers.every((h) => typeof h === 'string' && HEADER_NAME_RE.test(h)))
    throw new TypeError('options.headers must be a non-empty array of lowercase header names, like ["authorization", "x-api-key"]')
  const optional = options.optional ?? false
  if (typeof optional !== 'boolean') throw new TypeError('options.optional must be a boolean')
  const scopes = checkedRequirement(options.scopes, 'options.scopes') as CheckedRequirement & { scopes: readonly S[] }
  const realm = options.realm ?? 'api'
  if (typeof realm !== 'string' || !REALM_RE.test(realm))
    throw new TypeError('options.realm must be 1–100 printable ASCII characters without quotes or backslashes')
  const hook = options.onFailure
  if (hook !== undefined && typeof hook !== 'function') throw new TypeError('options.onFailure must be a function')
  const onFailure =
    hook &&
    (async (response: HttpFailureResponse, request: R): Promise<HttpFailureResponse> => {
      const replaced = await hook(response, request)
      // Anything but a response object keeps the original refusal: the request still fails closed.
      return replaced && typeof replaced === 'object' && Number.isInteger(replaced.status) ? replaced : response
    })
  return { headers: [...new Set(headers)], optional, scopes, realm, onFailure }
}

/**
 * Throws a `TypeError` unless every item is a well-formed scope (`^[a-z0-9_.:*-]+$`, ≤ 100
 * characters). For `requireScopes(...)` and route configs, checked when they are built.
 */
export function assertScopes(scopes: readonly unknown[]): asserts scopes is readonly string[] {
  for (const scope of scopes)
    if (!isValidScope(scope)) throw new TypeError(`scopes must match ^[a-z0-9_.:*-]+$ (like "messages:send"), got ${JSON.stringify(scope)}`)
}

/** A requirement checked as `verify` checks one, with the scope named when a list item is malformed. */
function checkedRequirement(value: unknown, what: string): CheckedRequirement {
  if (Array.isArray(value)) assertScopes(value)
  try {
    return checkScopeRequirement(value)
  } catch (error) {
    throw new TypeError(`${what}: ${(error as Error).message}`)
  }
}

/**
 * The requirement of a `requireScopes(...)` call: its scopes (`requireScopes('a', 'b')`: every one),
 * or one requirement object (`requireScopes({ anyOf: ['a', 'b'] })`, `{ allOf: [...] }`). Throws a
 * `TypeError` for anything else, when the guard is built: a mistake must never guard nothing.
 * @example
 * const required = scopeRequirementOf(args, 'requireScopes')
 */
export function scopeRequirementOf(args: readonly unknown[], call = 'requireScopes'): CheckedRequirement {
  // One argument that is not a scope string is the requirement itself: a list or an object.
  const value = args.length === 1 && typeof args[0] === 'object' ? args[0] : args
  if (Array.isArray(value) && (value.length === 0 || !value.every((scope) => typeof scope === 'string')))
    throw new TypeError(
      `${call}() needs at least one scope, like ${call}("messages:send"), or one requirement, like ${call}({ anyOf: ["a", "b"] })`,
    )
  return checkedRequirement(value, call)
}

/** What `verify` takes for a checked requirement: the list for `all`, `{ anyOf }` for `any`. */
function verifyScopes(requirement: CheckedRequirement): ScopeRequirement | undefined {
  if (requirement.scopes.length === 0) return undefined
  return requirement.mode === 'any' ? { anyOf: requirement.scopes } : requirement.scopes
}

const ANONYMOUS = Object.freeze({ ok: true, key: null } as const)

/**
 * Authenticate one request from its raw headers. Adapters call this and either attach `key` (and
 * set `headers` on the response, when present) or send `response`. `source` is the client address
 * for failed-attempt throttling and `allowedIps` (the framework's `ip`, which honours its
 * trust-proxy setting); it reaches `verify` as {@link clientAddress} writes it (IPv4-mapped as
 * IPv4, IPv6 in RFC 5952 form), and core throttles an IPv6 client by its /64.
 * Never rejects unless the store's own promise machinery does: store errors become 503.
 */
export async function authenticateRequest<S extends string>(
  keyward: Keyward<S>,
  rawHeaders: readonly string[],
  // biome-ignore lint/suspicious/noExplicitAny: the request type only matters to onFailure, which the adapter calls itself
  config: HttpAuthConfig<S, any>,
  source?: string,
): Promise<HttpAuthResult<S>> {
  const credential = extractCredential(rawHeaders, config.headers)
  if (credential.kind === 'conflict') return { ok: false, response: conflictingCredentialsResponse(config.realm) }
  if (credential.kind === 'malformed') return { ok: false, response: malformedCredentialResponse(config.realm, credential.header) }
  if (credential.kind === 'none') return config.optional ? ANONYMOUS : { ok: false, response: missingCredentialsResponse(config.realm) }
  const scopes = verifyScopes(config.scopes) as ScopeRequirement<S> | undefined
  if (source !== undefined) source = clientAddress(source)
  const result = await keyward.verify(
    credential.key,
    scopes === undefined && source === undefined ? undefined : { ...(scopes && { scopes }), ...(source !== undefined && { source }) },
  )
  if (result.ok) {
    const policies = policiesOf(result)
    return policies === undefined ? { ok: true, key: result.key } : { ok: true, key: result.key, headers: rateLimitHeaders(policies) }
  }
  // Echo the key only in display form, and only when the whole credential has a key's shape.
  const shaped = keyward.pattern.exec(credential.key)?.[0] === credential.key
  return {
    ok: false,
    response: verifyFailureResponse(result, config.realm, shaped ? keyward.redact(credential.key) : undefined, config.scopes.mode),
  }
}

/**
 * For a route guard: null when the key's effective scopes (its own ∪ its roles', ∩ its owner's)
 * meet `required` (a list: all of it; or a checked requirement), else the 401 (no key) or the 403
 * naming every missing scope, or for `{ anyOf }` every alternative. A key view without
 * `effectiveScopes` holds nothing (fail closed).
 */
export function requireScopesResponse(
  key: ApiKeyInfo | null | undefined,
  required: readonly string[] | CheckedRequirement,
  realm: string,
): HttpFailureResponse | null {
  if (!key) return missingCredentialsResponse(realm)
  const requirement: CheckedRequirement = Array.isArray(required) ? { mode: 'all', scopes: required } : (required as CheckedRequirement)
  const granted = Array.isArray(key.effectiveScopes) ? key.effectiveScopes : []
  const missing = unmetScopes(granted, requirement)
  return missing.length === 0 ? null : insufficientScopeResponse(realm, missing, key.redacted, requirement.mode)
}
