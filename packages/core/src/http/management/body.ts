/** Request bodies of the key management API: JSON objects with known fields only. */
import type { Keyward } from '../../api.js'
import { readLimitedText } from '../web.js'
import type { LimitCaps } from './limits.js'
import { invalidInput, ManagementProblem } from './respond.js'

const JSON_TYPE_RE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/**
 * The JSON object a request carries, `{}` when it carries none. 415 for a body that is not JSON,
 * 413 past `limit` bytes, 400 for malformed JSON or anything but an object.
 */
export async function readJsonBody(request: Request, limit: number): Promise<Record<string, unknown>> {
  const length = request.headers.get('content-length')
  if (request.body === null || (length !== null && !(Number(length) > 0))) return {}
  if (!JSON_TYPE_RE.test(request.headers.get('content-type') ?? ''))
    throw new ManagementProblem(415, 'unsupported_media_type', 'Send the request body as JSON with Content-Type: application/json.')
  const text = await readLimitedText(request, limit)
  if (text === null) throw new ManagementProblem(413, 'body_too_large', `The request body must be at most ${limit} bytes.`)
  if (text.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw invalidInput('body', 'The request body is not valid JSON.')
  }
  if (value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidInput('body', 'The request body must be a JSON object.')
  return value as Record<string, unknown>
}

/**
 * Fields each operation takes. Rate limits and credits only within the operator's caps
 * (`limits`): without them a tenant must not give itself a budget.
 */
export function fieldsOf(limits: LimitCaps): { create: ReadonlySet<string>; update: ReadonlySet<string> } {
  const fields = ['name', 'scopes', 'roles', 'expiresAt', 'notBefore', 'allowedIps', 'metadata']
  if (limits.rateLimit !== null) fields.push('rateLimit')
  if (limits.rateLimits.length > 0) fields.push('rateLimits')
  if (limits.credits !== null) fields.push('credits')
  const set = new Set(fields)
  return { create: set, update: set }
}

/** Fields of the actions: rotation takes its grace and the new key's expiry, never a budget. */
export const ACTION_FIELDS = {
  rotate: new Set(['gracePeriodMs', 'expiresAt']),
  none: new Set<string>(),
} as const

/** 400 for the first field `body` has beyond `allowed`. */
export function onlyFields(body: Record<string, unknown>, allowed: ReadonlySet<string>): void {
  for (const name of Object.keys(body))
    if (!allowed.has(name))
      throw invalidInput(
        name.slice(0, 100),
        allowed.size === 0
          ? `Unknown field "${name}": this action takes no fields.`
          : `Unknown field "${name}": expected ${[...allowed].join(', ')}.`,
      )
}

/** A date from JSON (`expiresAt`, `notBefore`): an ISO 8601 string, epoch milliseconds or null. Core checks its range. */
export function dateField(value: unknown, field: string): Date | number | null | undefined {
  if (value === undefined || value === null || typeof value === 'number') return value
  if (typeof value === 'string') {
    const ms = Date.parse(value)
    if (Number.isFinite(ms)) return ms
  }
  throw invalidInput(field, `${field}: must be an ISO 8601 date string, epoch milliseconds or null`)
}

/** A name that is itself a key (pasted in the wrong box) is refused, so it is never stored or shown. */
export function checkName(keyward: Keyward<string>, name: unknown): void {
  if (typeof name === 'string' && keyward.looksLikeKey(name.trim()))
    throw invalidInput('name', 'name: looks like an API key; use a description such as "CRM sync"')
}
