import type { ApiKeyInfo } from './types.js'

/** Why a verification failed. Stable: adapters map each to an HTTP status. */
export type VerifyFailureCode =
  | 'malformed'
  | 'invalid'
  | 'disabled'
  | 'expired'
  | 'revoked'
  | 'insufficient_scope'
  | 'ip_not_allowed'
  | 'not_yet_valid'
  | 'rate_limited'
  | 'usage_exceeded'
  | 'store_unavailable'

/** A key's rate-limit window after this request, for `RateLimit` headers. */
export interface RateLimitState {
  /** The policy's name: the limit's name (`default`, `tokens`), `owner.<name>` for the owner's. */
  policy?: string
  limit: number
  windowMs: number
  remaining: number
  /** Epoch milliseconds when the window ends. */
  resetAt: number
  /** Milliseconds from this verification until the window ends (by Keyward's clock). */
  resetInMs: number
}

/** A failed verification. `message` is safe to show the caller: it never contains the key. */
export interface VerifyFailure {
  ok: false
  code: VerifyFailureCode
  message: string
  /** On `insufficient_scope`: the first required scope the key lacks. */
  scope?: string
  /** On `insufficient_scope`: every required scope the key lacks, in the order required. */
  missingScopes?: string[]
  /** On `rate_limited`, `usage_exceeded` and `store_unavailable`: when to try again. */
  retryAfterMs?: number
  /** The key id, present only on failures reached after the digest matched. */
  keyId?: string
  /** On `rate_limited` by a limit: the window of the limit that refused. */
  rateLimit?: RateLimitState
  /** On `rate_limited` by a limit: every policy the request was counted against. */
  rateLimits?: RateLimitState[]
  /** On `usage_exceeded`: the credits left (fewer than the request's cost). */
  creditsRemaining?: number
}

/** A successful verification with the key's public view. */
export interface VerifySuccess<S extends string = string> {
  ok: true
  key: ApiKeyInfo<S>
  /** When the key is rate limited: its `default` window (else the policy with least left) after this request. */
  rateLimit?: RateLimitState
  /** When the key or its owner has limits: every policy, by name, after this request. */
  rateLimits?: RateLimitState[]
  /** When the key has credits: what is left after this request. */
  creditsRemaining?: number
}

export type VerifyResult<S extends string = string> = VerifySuccess<S> | VerifyFailure

const MESSAGES: Record<VerifyFailureCode, string> = {
  malformed: 'The API key is malformed or truncated: its checksum does not match. Copy the whole key again from where it was created.',
  invalid: 'The API key is not valid. Check that it was copied from this service and has not been deleted.',
  disabled: 'The API key is disabled. Enable it again or use another key.',
  expired: 'The API key has expired. Create or rotate a key to get a new one.',
  revoked: 'The API key was revoked and can no longer be used. Create a new key.',
  insufficient_scope: 'The API key does not have the scope this request needs.',
  ip_not_allowed: 'The API key may not be used from this address. Call from an address the key allows, or add this one to its allowed IPs.',
  not_yet_valid: 'The API key is not valid yet: it starts working at the time it was given. Try again then.',
  rate_limited: 'Too many requests. Retry after the time given in the Retry-After header.',
  usage_exceeded: 'This API key has used all its credits. Retry after they are refilled.',
  store_unavailable: 'The API key could not be checked because the key store is unavailable. Try again shortly.',
}

/** The default, caller-safe message for a failure code. */
export function failureMessage(code: VerifyFailureCode): string {
  return MESSAGES[code]
}

export function failure(code: VerifyFailureCode, extra?: Partial<Omit<VerifyFailure, 'ok' | 'code'>>): VerifyFailure {
  return { ok: false, code, message: MESSAGES[code], ...extra }
}
