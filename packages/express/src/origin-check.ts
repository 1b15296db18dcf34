/**
 * Cross-site request forgery and DNS-rebinding checks of the management API, as pure functions of
 * the request's headers so that any framework (or a Web `Request`) can use them.
 */

/** What the checks read from a request: `req` in Express, `request.headers` of a Web `Request`. */
export interface HeaderSource {
  get(name: string): string | null | undefined
}

/** A refusal: 403 with this code and detail. */
export interface OriginRefusal {
  code: 'origin_not_allowed'
  detail: string
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * `origins` as a set of serialized origins (`https://app.acme.com`, `http://localhost:3000`), or a
 * `TypeError` naming the option and the entry at fault. At least one is required: without a list,
 * nothing could tell this site's pages from a page that reached this server through a hostname it
 * controls (DNS rebinding).
 */
export function parseAllowedOrigins(origins: unknown, option = 'options.allowedOrigins'): ReadonlySet<string> {
  if (!Array.isArray(origins) || origins.length === 0)
    throw new TypeError(
      `${option} is required: list the origins of the pages that manage keys, like ["https://app.acme.com"] (for a local server, ["http://localhost:3000"])`,
    )
  const allowed = new Set<string>()
  for (const origin of origins) {
    let parsed: URL | undefined
    try {
      parsed = new URL(String(origin))
    } catch {
      parsed = undefined
    }
    if (typeof origin !== 'string' || parsed === undefined || parsed.origin === 'null' || parsed.origin !== origin.replace(/\/$/, '').toLowerCase())
      throw new TypeError(`${option}: ${JSON.stringify(origin)} is not an origin like "https://app.acme.com" (scheme, host and port only)`)
    allowed.add(parsed.origin)
  }
  return allowed
}

/**
 * Whether a request may change state: safe methods (GET, HEAD, OPTIONS) always may; any other needs
 * an `Origin` header equal to one of `allowed`. The request's own `Host` plays no part, since a
 * DNS-rebinding page sends a `Host` and an `Origin` that agree. A client that is not a browser must
 * send one of the allowed origins too.
 *
 * @returns null when allowed, else the refusal.
 */
export function checkOrigin(method: string, headers: HeaderSource, allowed: ReadonlySet<string>): OriginRefusal | null {
  if (SAFE_METHODS.has(method.toUpperCase())) return null
  const origin = headers.get('origin') ?? undefined
  if (origin !== undefined && allowed.has(origin)) return null
  return {
    code: 'origin_not_allowed',
    detail:
      origin === undefined
        ? 'This request changes keys and must carry an Origin header naming a page of this site.'
        : 'This request comes from a page that is not allowed to change keys here. Open the API Keys page of this site and try again.',
  }
}
