/**
 * The refusals of the HTTP mapping: each failure as a status, RFC 6750 `WWW-Authenticate` challenge,
 * draft-ietf-httpapi-ratelimit-headers fields and an RFC 9457 problem body. Every adapter sends
 * exactly these, so Express, Koa, Fastify, Hono and `withApiKey` answer byte for byte the same.
 */
import type { RateLimitState, VerifyFailure } from '../verify-result.js'
import { problem, type HttpFailureResponse } from './problem.js'

function challenge(realm: string, params = ''): string {
  return `Bearer realm="${realm}"${params}`
}

function retryAfterSeconds(ms: number | undefined): string {
  return String(Math.max(1, Math.ceil((ms ?? 1000) / 1000)))
}

/** A policy name as a structured-field string (RFC 9651 §3.3.3): quoted, `\` and `"` escaped. */
function policyName(state: RateLimitState): string {
  return `"${(state.policy ?? 'default').replace(/[\\"]/g, '\\$&')}"`
}

/**
 * `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers) for every policy
 * a request was counted against, by name, as structured-field lists: quota and window length
 * (`"default";q=100;w=60, "tokens";q=10000;w=60`), what is left and seconds until each window resets
 * (`"default";r=99;t=30, "tokens";r=9850;t=30`). A state without a `policy` is named `default`.
 * @example
 * rateLimitHeaders(result.rateLimits ?? [result.rateLimit])
 */
export function rateLimitHeaders(states: RateLimitState | readonly RateLimitState[]): Record<string, string> {
  const list = Array.isArray(states) ? (states as readonly RateLimitState[]) : [states as RateLimitState]
  let policy = ''
  let limit = ''
  for (const state of list) {
    const name = policyName(state)
    const separator = policy === '' ? '' : ', '
    policy += `${separator}${name};q=${state.limit};w=${Math.max(1, Math.ceil(state.windowMs / 1000))}`
    limit += `${separator}${name};r=${state.remaining};t=${Math.max(0, Math.ceil(state.resetInMs / 1000))}`
  }
  return { 'ratelimit-policy': policy, ratelimit: limit }
}

/** Every policy of a result (`rateLimits`, else the one `rateLimit`), or undefined when it has none. */
export function policiesOf(result: { rateLimit?: RateLimitState; rateLimits?: RateLimitState[] }): readonly RateLimitState[] | undefined {
  if (result.rateLimits !== undefined && result.rateLimits.length > 0) return result.rateLimits
  return result.rateLimit === undefined ? undefined : [result.rateLimit]
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
 * challenge's `scope="a b"` and in the body. With `mode: 'any'` the request needed one of them
 * (`{ anyOf: [...] }`), and the detail says so.
 */
export function insufficientScopeResponse(
  realm: string,
  missing: string | readonly string[],
  key?: string,
  mode: 'all' | 'any' = 'all',
): HttpFailureResponse {
  const scopes = typeof missing === 'string' ? [missing] : [...missing]
  const list = scopes.join(' ')
  const quoted = scopes.map((scope) => `"${scope}"`).join(', ')
  return problem(
    403,
    'insufficient_scope',
    scopes.length === 1
      ? `The API key does not have the scope ${quoted} that this request needs.`
      : mode === 'any'
        ? `The API key has none of the scopes ${quoted}, and this request needs one of them.`
        : `The API key does not have the scopes ${quoted} that this request needs.`,
    { 'www-authenticate': challenge(realm, `, error="insufficient_scope", scope="${list}"`) },
    { scope: list, missingScopes: scopes, ...(key !== undefined && { key }) },
  )
}

const CREDITS_GONE =
  'This API key has used all its credits, and they are not refilled: retrying will not help. Add credits to the key or use another one.'

/** On a 429 from a limit: every policy, the refusing one resetting when `Retry-After` says. */
function refusedLimitHeaders(result: VerifyFailure): Record<string, string> | undefined {
  const states = policiesOf(result)
  if (states === undefined) return undefined
  const refused = result.rateLimit
  const retry = result.retryAfterMs
  return rateLimitHeaders(
    refused === undefined || retry === undefined
      ? states
      : states.map((state) =>
          state === refused || (state.policy ?? 'default') === (refused.policy ?? 'default') ? { ...state, resetInMs: retry } : state,
        ),
  )
}

/**
 * The response for a failed `verify`: 401 for key failures, 403 for scope and for an address the
 * key may not be used from, 429 for limits, 503 for the store. `redactedKey` is the display form of
 * the presented key, when it had the key's shape. A `usage_exceeded` key whose credits never refill
 * gets no `Retry-After` (no wait would help). `scopeMode` is how the scopes were required (`any` for
 * `{ anyOf }`), for the 403's wording.
 */
export function verifyFailureResponse(
  result: VerifyFailure,
  realm: string,
  redactedKey?: string,
  scopeMode: 'all' | 'any' = 'all',
): HttpFailureResponse {
  const key = redactedKey !== undefined ? { key: redactedKey } : undefined
  switch (result.code) {
    case 'insufficient_scope':
      return insufficientScopeResponse(realm, result.missingScopes ?? result.scope ?? '', redactedKey, scopeMode)
    case 'ip_not_allowed':
      // A valid key from an address its allow-list (or its owner's) leaves out. RFC 6750 has no
      // error code for it: `invalid_token` would tell the client to get a new key (and belongs to a
      // 401), `insufficient_scope` to ask for more scope; neither helps. So the challenge carries the
      // realm only, as on 429 and 503, and the problem body's `code` names the reason.
      return problem(403, result.code, result.message, { 'www-authenticate': challenge(realm) }, key)
    case 'rate_limited':
      return problem(
        429,
        result.code,
        result.message,
        { 'www-authenticate': challenge(realm), 'retry-after': retryAfterSeconds(result.retryAfterMs), ...refusedLimitHeaders(result) },
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
      // malformed, invalid, disabled, expired, revoked, not_yet_valid: the token is not (yet) usable.
      return problem(401, result.code, result.message, { 'www-authenticate': challenge(realm, ', error="invalid_token"') }, key)
  }
}
