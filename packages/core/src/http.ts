/**
 * The HTTP mapping shared by every framework adapter: where the key comes from, and how a failure
 * becomes a status, headers and an RFC 9457 `application/problem+json` body with RFC 6750
 * `WWW-Authenticate` challenges. Adapters only copy the result onto their response object, so
 * Express, Koa and Fastify answer byte for byte the same.
 */
import type { Keyward } from './keyward.js'
import { missingScope } from './scopes.js'
import type { ApiKeyInfo } from './types.js'
import { failureMessage, type VerifyFailure, type VerifyFailureCode } from './verify-result.js'

/** Codes that can appear in a problem body. */
export type HttpProblemCode = VerifyFailureCode | 'invalid_request' | 'missing_credentials'

/** An RFC 9457 problem body. Never carries the key, only its redacted form. */
export interface ProblemBody {
  type: 'about:blank'
  title: string
  status: number
  code: HttpProblemCode
  detail: string
  /** The presented key in display form (`acme_live_8fK2…1b2C`), when it had the key's shape. */
  key?: string
  /** On 403: the missing scope. */
  scope?: string
}

/** What to send: status, headers (lowercase names) and body. */
export interface HttpFailureResponse {
  status: number
  headers: Record<string, string>
  body: ProblemBody
}

/** Adapter options shared by Express, Koa and Fastify. */
export interface HttpAuthOptions<S extends string = string> {
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
}

/** Validated adapter options. */
export interface HttpAuthConfig<S extends string = string> {
  headers: readonly string[]
  optional: boolean
  scopes: readonly S[]
  realm: string
}

/** The outcome of authenticating one request. */
export type HttpAuthResult<S extends string = string> =
  | { ok: true; key: ApiKeyInfo<S> | null }
  | { ok: false; response: HttpFailureResponse }

const HEADER_NAME_RE = /^[a-z0-9!#$%&'*+.^_`|~-]+$/
const REALM_RE = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,100}$/
const BEARER_RE = /^bearer(?:[ \t]+(.*))?$/is
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
}

/** Validate adapter options once, when the middleware is built. Throws `TypeError`. */
export function resolveHttpAuthOptions<S extends string>(options: HttpAuthOptions<S> = {}): HttpAuthConfig<S> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object')
  const headers = options.headers ?? ['authorization', 'x-api-key']
  if (!Array.isArray(headers) || headers.length === 0 || !headers.every((h) => typeof h === 'string' && HEADER_NAME_RE.test(h)))
    throw new TypeError('options.headers must be a non-empty array of lowercase header names, like ["authorization", "x-api-key"]')
  const optional = options.optional ?? false
  if (typeof optional !== 'boolean') throw new TypeError('options.optional must be a boolean')
  const scopes = options.scopes ?? []
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && s.length > 0))
    throw new TypeError('options.scopes must be an array of scope strings')
  const realm = options.realm ?? 'api'
  if (typeof realm !== 'string' || !REALM_RE.test(realm))
    throw new TypeError('options.realm must be 1–100 printable ASCII characters without quotes or backslashes')
  return { headers: [...new Set(headers)], optional, scopes: [...scopes], realm }
}

/** What the request's headers hold: nothing, one key, or conflicting keys. */
export type Credential = { kind: 'none' } | { kind: 'key'; key: string } | { kind: 'conflict' }

/**
 * Find the key in Node's `rawHeaders` (name/value pairs as received, so a repeated `Authorization`
 * that Node would fold away is still seen). An `Authorization` header with another scheme is not
 * ours and is ignored. Two different keys are a conflict (RFC 6750 §2: one method per request).
 */
export function extractCredential(rawHeaders: readonly string[], headers: readonly string[]): Credential {
  let found: string | undefined
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase()
    if (!headers.includes(name)) continue
    let value: string | undefined = rawHeaders[i + 1]!
    if (name === 'authorization') {
      const match = BEARER_RE.exec(value.trim())
      if (!match) continue
      value = match[1]
    }
    const key = (value ?? '').trim()
    if (found === undefined) found = key
    else if (found !== key) return { kind: 'conflict' }
  }
  return found === undefined ? { kind: 'none' } : { kind: 'key', key: found }
}

function challenge(realm: string, params = ''): string {
  return `Bearer realm="${realm}"${params}`
}

function problem(
  status: number,
  code: HttpProblemCode,
  detail: string,
  headers: Record<string, string>,
  extra?: Pick<ProblemBody, 'key' | 'scope'>,
): HttpFailureResponse {
  return {
    status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers },
    body: { type: 'about:blank', title: TITLES[status]!, status, code, detail, ...extra },
  }
}

function retryAfterSeconds(ms: number | undefined): string {
  return String(Math.max(1, Math.ceil((ms ?? 1000) / 1000)))
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
  return problem(400, 'invalid_request', 'The request carries more than one different API key. Send exactly one.', {
    'www-authenticate': challenge(realm, ', error="invalid_request"'),
  })
}

/** 403 for a key that lacks `scope`. */
export function insufficientScopeResponse(realm: string, scope: string, key?: string): HttpFailureResponse {
  return problem(
    403,
    'insufficient_scope',
    `The API key does not have the scope "${scope}" that this request needs.`,
    { 'www-authenticate': challenge(realm, `, error="insufficient_scope", scope="${scope}"`) },
    { scope, ...(key !== undefined && { key }) },
  )
}

/**
 * The response for a failed `verify`: 401 for key failures, 403 for scope, 429 for limits, 503 for
 * the store. `redactedKey` is the display form of the presented key, when it had the key's shape.
 */
export function verifyFailureResponse(result: VerifyFailure, realm: string, redactedKey?: string): HttpFailureResponse {
  const key = redactedKey !== undefined ? { key: redactedKey } : undefined
  switch (result.code) {
    case 'insufficient_scope':
      return insufficientScopeResponse(realm, result.scope ?? '', redactedKey)
    case 'rate_limited':
    case 'usage_exceeded':
      return problem(429, result.code, result.message, { 'www-authenticate': challenge(realm), 'retry-after': retryAfterSeconds(result.retryAfterMs) }, key)
    case 'store_unavailable':
      return problem(503, result.code, result.message, { 'www-authenticate': challenge(realm), 'retry-after': retryAfterSeconds(result.retryAfterMs) })
    default:
      return problem(401, result.code, result.message, { 'www-authenticate': challenge(realm, ', error="invalid_token"') }, key)
  }
}

/**
 * Authenticate one request from its raw headers. Adapters call this and either attach `key` or
 * send `response`.
 */
export async function authenticateRequest<S extends string>(
  keyward: Keyward<S>,
  rawHeaders: readonly string[],
  config: HttpAuthConfig<S>,
): Promise<HttpAuthResult<S>> {
  const credential = extractCredential(rawHeaders, config.headers)
  if (credential.kind === 'conflict') return { ok: false, response: conflictingCredentialsResponse(config.realm) }
  if (credential.kind === 'none')
    return config.optional ? { ok: true, key: null } : { ok: false, response: missingCredentialsResponse(config.realm) }
  const result = await keyward.verify(credential.key, config.scopes.length > 0 ? { scopes: config.scopes } : undefined)
  if (result.ok) return { ok: true, key: result.key }
  // Echo the key only in display form, and only when the whole credential has a key's shape.
  const shaped = keyward.pattern.exec(credential.key)?.[0] === credential.key
  return {
    ok: false,
    response: verifyFailureResponse(result, config.realm, shaped ? keyward.redact(credential.key) : undefined),
  }
}

/** For a route guard: null when `key` holds every scope, else the 401 or 403 to send. */
export function requireScopesResponse(key: ApiKeyInfo | null | undefined, scopes: readonly string[], realm: string): HttpFailureResponse | null {
  if (!key) return missingCredentialsResponse(realm)
  const missing = missingScope(key.scopes, scopes)
  return missing === undefined ? null : insufficientScopeResponse(realm, missing, key.redacted)
}

/** Serialise a problem body (the same bytes in every adapter). */
export function problemJson(response: HttpFailureResponse): string {
  return JSON.stringify(response.body)
}

export { failureMessage }
