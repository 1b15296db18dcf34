/**
 * The HTTP mapping shared by every framework adapter: where the key comes from, and how a failure
 * becomes a status, headers and an RFC 9457 `application/problem+json` body with RFC 6750
 * `WWW-Authenticate` challenges. Adapters only copy the result onto their response object, so
 * Express, Koa and Fastify answer byte for byte the same.
 */
import type { Keyward } from '../api.js'
import { isValidScope, missingScopes } from '../scopes.js'
import type { ApiKeyInfo } from '../types.js'
import type { RateLimitState, VerifyFailure } from '../verify-result.js'
import { extractCredential } from './credentials.js'
import { problem, type HttpFailureResponse } from './problem.js'
import { throttlingSource } from './source.js'

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
  /** Scopes every request under this middleware needs. */
  scopes?: readonly S[]
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
  scopes: readonly S[]
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
  const scopes = options.scopes ?? []
  if (!Array.isArray(scopes)) throw new TypeError('options.scopes must be an array of scope strings')
  assertScopes(scopes)
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
  return { headers: [...new Set(headers)], optional, scopes: [...scopes], realm, onFailure }
}

/**
 * Throws a `TypeError` unless every item is a well-formed scope (`^[a-z0-9_.:*-]+$`, ≤ 100
 * characters). For `requireScopes(...)` and route configs, checked when they are built.
 */
export function assertScopes(scopes: readonly unknown[]): asserts scopes is readonly string[] {
  for (const scope of scopes)
    if (!isValidScope(scope)) throw new TypeError(`scopes must match ^[a-z0-9_.:*-]+$ (like "messages:send"), got ${JSON.stringify(scope)}`)
}

function challenge(realm: string, params = ''): string {
  return `Bearer realm="${realm}"${params}`
}

function retryAfterSeconds(ms: number | undefined): string {
  return String(Math.max(1, Math.ceil((ms ?? 1000) / 1000)))
}

/**
 * `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers) for a key's
 * window: quota, window length, what is left and seconds until the window resets (`resetInMs`).
 */
export function rateLimitHeaders(state: RateLimitState, resetInMs: number): Record<string, string> {
  const windowSeconds = Math.max(1, Math.ceil(state.windowMs / 1000))
  const resetSeconds = Math.max(0, Math.ceil(resetInMs / 1000))
  return {
    'ratelimit-policy': `"key";q=${state.limit};w=${windowSeconds}`,
    ratelimit: `"key";r=${state.remaining};t=${resetSeconds}`,
  }
}

/** 401 for a request with no credentials at all. */
export function missingCredentialsResponse(realm: string): HttpFailureResponse {
  return problem(
    401,
    'missing_credentials',
    'This request needs an API key: send it as "Authorization: Bearer <key>" or in the X-API-Key header.',
    { 'www-authenticate': challenge(realm) },
  )
}

/** 400 for a request that carries two different keys. */
export function conflictingCredentialsResponse(realm: string): HttpFailureResponse {
  return invalidRequest(realm, 'The request carries more than one different API key. Send exactly one.')
}

/**
 * 400 for a credential that is malformed as a request (RFC 6750 §3.1): an empty `Bearer`, or a
 * value with characters no key has. `header` is the configured header name it came in.
 */
export function malformedCredentialResponse(realm: string, header: string): HttpFailureResponse {
  return invalidRequest(
    realm,
    header === 'authorization'
      ? 'The Bearer credential is empty or malformed: send "Authorization: Bearer <key>", the key alone, with no spaces or other characters inside it.'
      : `The ${header} header is empty or malformed: send the key alone, with no spaces, control or non-ASCII characters.`,
  )
}

function invalidRequest(realm: string, detail: string): HttpFailureResponse {
  return problem(400, 'invalid_request', detail, { 'www-authenticate': challenge(realm, ', error="invalid_request"') })
}

/**
 * 403 for a key that lacks scopes: `missing` is every scope it lacks (or one), named in the
 * challenge's `scope="a b"` and in the body.
 */
export function insufficientScopeResponse(realm: string, missing: string | readonly string[], key?: string): HttpFailureResponse {
  const scopes = typeof missing === 'string' ? [missing] : [...missing]
  const list = scopes.join(' ')
  return problem(
    403,
    'insufficient_scope',
    scopes.length === 1
      ? `The API key does not have the scope "${list}" that this request needs.`
      : `The API key does not have the scopes ${scopes.map((scope) => `"${scope}"`).join(', ')} that this request needs.`,
    { 'www-authenticate': challenge(realm, `, error="insufficient_scope", scope="${list}"`) },
    { scope: list, missingScopes: scopes, ...(key !== undefined && { key }) },
  )
}

const CREDITS_GONE =
  'This API key has used all its credits, and they are not refilled: retrying will not help. Add credits to the key or use another one.'

/**
 * The response for a failed `verify`: 401 for key failures, 403 for scope, 429 for limits, 503 for
 * the store. `redactedKey` is the display form of the presented key, when it had the key's shape.
 * A `usage_exceeded` key whose credits never refill gets no `Retry-After` (no wait would help).
 */
export function verifyFailureResponse(result: VerifyFailure, realm: string, redactedKey?: string): HttpFailureResponse {
  const key = redactedKey !== undefined ? { key: redactedKey } : undefined
  switch (result.code) {
    case 'insufficient_scope':
      return insufficientScopeResponse(realm, result.missingScopes ?? result.scope ?? '', redactedKey)
    case 'rate_limited':
      return problem(
        429,
        result.code,
        result.message,
        {
          'www-authenticate': challenge(realm),
          'retry-after': retryAfterSeconds(result.retryAfterMs),
          ...(result.rateLimit && rateLimitHeaders(result.rateLimit, result.retryAfterMs ?? result.rateLimit.resetInMs)),
        },
        key,
      )
    case 'usage_exceeded': {
      const refills = result.retryAfterMs !== undefined
      return problem(
        429,
        result.code,
        refills ? result.message : CREDITS_GONE,
        { 'www-authenticate': challenge(realm), ...(refills && { 'retry-after': retryAfterSeconds(result.retryAfterMs) }) },
        { ...(result.creditsRemaining !== undefined && { creditsRemaining: result.creditsRemaining }), ...key },
      )
    }
    case 'store_unavailable':
      return problem(503, result.code, result.message, {
        'www-authenticate': challenge(realm),
        'retry-after': retryAfterSeconds(result.retryAfterMs),
      })
    default:
      return problem(401, result.code, result.message, { 'www-authenticate': challenge(realm, ', error="invalid_token"') }, key)
  }
}

const ANONYMOUS = Object.freeze({ ok: true, key: null } as const)

/**
 * Authenticate one request from its raw headers. Adapters call this and either attach `key` (and
 * set `headers` on the response, when present) or send `response`. `source` is the client address
 * for failed-attempt throttling (the framework's `ip`, which honours its trust-proxy setting); it
 * reaches `verify` as {@link throttlingSource} makes it (IPv4-mapped as IPv4, IPv6 as its /64).
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
  const scopes = config.scopes.length > 0 ? config.scopes : undefined
  if (source !== undefined) source = throttlingSource(source)
  const result = await keyward.verify(
    credential.key,
    scopes === undefined && source === undefined ? undefined : { ...(scopes && { scopes }), ...(source !== undefined && { source }) },
  )
  if (result.ok) {
    if (result.rateLimit === undefined) return { ok: true, key: result.key }
    // A success carries no clock reading, so the reset is measured on the wall clock.
    return { ok: true, key: result.key, headers: rateLimitHeaders(result.rateLimit, result.rateLimit.resetInMs) }
  }
  // Echo the key only in display form, and only when the whole credential has a key's shape.
  const shaped = keyward.pattern.exec(credential.key)?.[0] === credential.key
  return {
    ok: false,
    response: verifyFailureResponse(result, config.realm, shaped ? keyward.redact(credential.key) : undefined),
  }
}

/** For a route guard: null when `key` holds every scope, else the 401 or the 403 naming every missing scope. */
export function requireScopesResponse(
  key: ApiKeyInfo | null | undefined,
  scopes: readonly string[],
  realm: string,
): HttpFailureResponse | null {
  if (!key) return missingCredentialsResponse(realm)
  const missing = missingScopes(key.scopes, scopes)
  return missing.length === 0 ? null : insufficientScopeResponse(realm, missing, key.redacted)
}
