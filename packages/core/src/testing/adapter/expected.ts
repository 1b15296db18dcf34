/** The verification refusals every adapter must send, written out literally (DESIGN.md §8). */
import { expect } from 'vitest'
import { headerObject, type RawResponse } from './raw-client.js'

export const PEPPER = 'http-suite-pepper-0123456789-abcdefghijkl'

export const DETAIL = {
  missing_credentials: 'This request needs an API key: send it as "Authorization: Bearer <key>" or in the X-API-Key header.',
  invalid_request: 'The request carries more than one different API key. Send exactly one.',
  malformed_bearer:
    'The Bearer credential is empty or malformed: send "Authorization: Bearer <key>", the key alone, with no spaces or other characters inside it.',
  malformed_x_api_key: 'The x-api-key header is empty or malformed: send the key alone, with no spaces, control or non-ASCII characters.',
  malformed: 'The API key is malformed or truncated: its checksum does not match. Copy the whole key again from where it was created.',
  invalid: 'The API key is not valid. Check that it was copied from this service and has not been deleted.',
  other_prefix: 'The API key was issued for another environment or service (it does not start with "acme_live_").',
  disabled: 'The API key is disabled. Enable it again or use another key.',
  expired: 'The API key has expired. Create or rotate a key to get a new one.',
  revoked: 'The API key was revoked and can no longer be used. Create a new key.',
  store_unavailable: 'The API key could not be checked because the key store is unavailable. Try again shortly.',
  not_yet_valid: 'The API key is not valid yet: it starts working at the time it was given. Try again then.',
  ip_not_allowed: 'The API key may not be used from this address. Call from an address the key allows, or add this one to its allowed IPs.',
  rate_limited: 'Too many requests. Retry after the time given in the Retry-After header.',
  usage_exceeded: 'This API key has used all its credits. Retry after they are refilled.',
  credits_gone:
    'This API key has used all its credits, and they are not refilled: retrying will not help. Add credits to the key or use another one.',
}

export interface Expected {
  status: number
  challenge: string
  body: Record<string, unknown>
  headers?: Record<string, string>
}

/** The response must be exactly this: status, every non-transport header, body bytes. */
export function expectExactly(response: RawResponse, expected: Expected): void {
  const body = JSON.stringify(expected.body)
  expect({ status: response.status, headers: headerObject(response), body: response.body }).toEqual({
    status: expected.status,
    headers: {
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
      'www-authenticate': expected.challenge,
      'content-length': String(Buffer.byteLength(body)),
      ...expected.headers,
    },
    body,
  })
}

export function unauthorized(code: keyof typeof DETAIL, key?: string, realm = 'api'): Expected {
  return {
    status: 401,
    challenge: `Bearer realm="${realm}", error="invalid_token"`,
    body: {
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      code: code === 'other_prefix' ? 'invalid' : code,
      detail: DETAIL[code],
      ...(key !== undefined && { key }),
    },
  }
}

export function missing(realm = 'api'): Expected {
  return {
    status: 401,
    challenge: `Bearer realm="${realm}"`,
    body: { type: 'about:blank', title: 'Unauthorized', status: 401, code: 'missing_credentials', detail: DETAIL.missing_credentials },
  }
}

export function badRequest(detail: keyof typeof DETAIL): Expected {
  return {
    status: 400,
    challenge: 'Bearer realm="api", error="invalid_request"',
    body: { type: 'about:blank', title: 'Bad Request', status: 400, code: 'invalid_request', detail: DETAIL[detail] },
  }
}

export const CONFLICT = badRequest('invalid_request')

/** 403 naming `scopes`, every scope the key lacks. */
export function forbidden(scopes: string | string[], key: string, realm = 'api'): Expected {
  const missing = typeof scopes === 'string' ? [scopes] : scopes
  return {
    status: 403,
    challenge: `Bearer realm="${realm}", error="insufficient_scope", scope="${missing.join(' ')}"`,
    body: {
      type: 'about:blank',
      title: 'Forbidden',
      status: 403,
      code: 'insufficient_scope',
      detail:
        missing.length === 1
          ? `The API key does not have the scope "${missing[0]}" that this request needs.`
          : `The API key does not have the scopes ${missing.map((scope) => `"${scope}"`).join(', ')} that this request needs.`,
      scope: missing.join(' '),
      missingScopes: missing,
      key,
    },
  }
}

/** 403 for `{ anyOf: scopes }` when the key holds none of them: every alternative named. */
export function forbiddenAny(scopes: string[], key: string, realm = 'api'): Expected {
  const expected = forbidden(scopes, key, realm)
  expected.body.detail = `The API key has none of the scopes ${scopes.map((scope) => `"${scope}"`).join(', ')}, and this request needs one of them.`
  return expected
}

/** 403 for a valid key used from an address its allow-list (or its owner's) leaves out. */
export function ipNotAllowed(key: string, realm = 'api'): Expected {
  return {
    status: 403,
    // RFC 6750 has no error code for it: the challenge carries the realm only.
    challenge: `Bearer realm="${realm}"`,
    body: { type: 'about:blank', title: 'Forbidden', status: 403, code: 'ip_not_allowed', detail: DETAIL.ip_not_allowed, key },
  }
}

/** `acme_live_8fK2…1b2C`, written out here rather than asked of core. */
export function redacted(key: string): string {
  return `${key.slice(0, 'acme_live_'.length + 4)}…${key.slice(-4)}`
}

export function json(response: RawResponse): unknown {
  return JSON.parse(response.body)
}
