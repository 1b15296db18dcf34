/** Responses of the key management API: JSON answers, and every error as a problem response. */
import type { Keyward } from '../../api.js'
import { ERROR_STATUS, problem, problemJson, type KeyManagementProblemCode } from '../problem.js'

/** A refusal decided by the handler itself (not by Keyward). */
export class ManagementProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: KeyManagementProblemCode,
    detail: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail)
  }
}

/** 400 `invalid_input` for `field`. */
export function invalidInput(field: string, detail: string): ManagementProblem {
  return new ManagementProblem(400, 'invalid_input', detail, field)
}

/** A JSON answer (or an empty one), never cached. */
export function jsonResponse(status: number, body?: unknown, headers: Record<string, string> = {}): Response {
  if (body === undefined) return new Response(null, { status, headers: { 'cache-control': 'no-store', ...headers } })
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8', ...headers },
  })
}

const STORE_DOWN = 'The key store is unavailable. Nothing was changed; try again shortly.'

/** The detail of a Keyward error: its message, but for those written for people using this API. */
function detailOf(error: Error & { code: string; maxKeys?: unknown }): string {
  if (error.code === 'store_unavailable') return STORE_DOWN
  if (error.code === 'limit_exceeded')
    return `You already have ${Number(error.maxKeys)} live API keys, the most allowed. Revoke or delete one before creating another.`
  return error.message
}

/**
 * The problem response for `error`: the handler's own refusals as they are, Keyward's errors by
 * their code (`ERROR_STATUS`), anything else a 500 without details, reported to `onError`.
 * Whatever a message quotes, a key in it goes out in display form only.
 */
export function errorResponse(error: unknown, keyward: Keyward<string>, onError: () => void): Response {
  let refusal: ManagementProblem
  if (error instanceof ManagementProblem) refusal = error
  else {
    // By code rather than by class: a store may throw errors of another copy of core.
    const code = (error as { code?: unknown } | null)?.code
    const status = error instanceof Error && typeof code === 'string' ? ERROR_STATUS[code as keyof typeof ERROR_STATUS] : undefined
    if (status !== undefined) {
      const field = (error as { field?: unknown }).field
      refusal = new ManagementProblem(
        status,
        code as KeyManagementProblemCode,
        detailOf(error as Error & { code: string }),
        typeof field === 'string' ? field : undefined,
        status === 503 ? { 'retry-after': '1' } : {},
      )
    } else {
      try {
        onError()
      } catch {
        // A failing log hook must not break the response.
      }
      refusal = new ManagementProblem(500, 'internal_error', 'Something went wrong while managing API keys.')
    }
  }
  const response = problem(refusal.status, refusal.code, keyward.redact(refusal.message), refusal.headers, {
    ...(refusal.field !== undefined && { field: keyward.redact(refusal.field) }),
  })
  return new Response(problemJson(response), { status: response.status, headers: response.headers })
}
