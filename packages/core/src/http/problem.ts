/**
 * RFC 9457 problem responses: the one table of statuses and titles every HTTP answer of Keyward
 * uses, verification refusals and key management alike.
 */
import type { KeywardErrorCode } from '../errors.js'
import type { VerifyFailureCode } from '../verify-result.js'

/** Codes that can appear in a verification refusal's problem body. */
export type HttpProblemCode = VerifyFailureCode | 'invalid_request' | 'missing_credentials'

/** Codes that can appear in a problem body of the key management API. */
export type KeyManagementProblemCode =
  | 'invalid_input'
  | 'unauthorized'
  | 'api_key_not_accepted'
  | 'origin_not_allowed'
  | 'scope_not_allowed'
  | 'not_found'
  | 'method_not_allowed'
  | 'invalid_state'
  | 'conflict'
  | 'duplicate_id'
  | 'limit_exceeded'
  | 'owner_settings_not_allowed'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'store_unavailable'
  | 'closed'
  | 'internal_error'

/** An RFC 9457 problem body. Never carries the key, only its redacted form. */
export interface ProblemBody<C extends string = HttpProblemCode> {
  type: 'about:blank'
  title: string
  status: number
  code: C
  detail: string
  /** The presented key in display form (`acme_live_8fK2…1b2C`), when it had the key's shape. */
  key?: string
  /** On 403: every missing scope, space-separated, as in the challenge's `scope="…"` (RFC 6750 §3). */
  scope?: string
  /** On 403: every missing scope, in the order required. */
  missingScopes?: string[]
  /** On 429 `usage_exceeded`: the credits the key has left (fewer than the request costs). */
  creditsRemaining?: number
  /** Key management, on `invalid_input`: the field at fault, such as `name` or `scopes[1]`. */
  field?: string
}

/** What to send: status, headers (lowercase names) and body. */
export interface HttpFailureResponse<C extends string = HttpProblemCode> {
  status: number
  headers: Record<string, string>
  body: ProblemBody<C>
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
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/** The status of each `KeywardError` code an HTTP answer may carry; any other error is a 500. */
export const ERROR_STATUS: Partial<Record<KeywardErrorCode, number>> = {
  invalid_input: 400,
  not_found: 404,
  invalid_state: 409,
  conflict: 409,
  duplicate_id: 409,
  limit_exceeded: 409,
  store_unavailable: 503,
  closed: 503,
}

/** A problem response: `application/problem+json`, `no-store`, then `headers`. */
export function problem<C extends string>(
  status: number,
  code: C,
  detail: string,
  headers: Record<string, string> = {},
  extra?: Pick<ProblemBody, 'key' | 'scope' | 'missingScopes' | 'creditsRemaining' | 'field'>,
): HttpFailureResponse<C> {
  return {
    status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers },
    body: { type: 'about:blank', title: TITLES[status] ?? 'Error', status, code, detail, ...extra },
  }
}

/** Serialise a problem body (the same bytes in every adapter). */
export function problemJson(response: HttpFailureResponse<string>): string {
  return JSON.stringify(response.body)
}
