/**
 * Cross-site request forgery and DNS-rebinding checks: a state-changing request needs an `Origin`
 * that is exactly one of the allowed ones. The request's own `Host` plays no part.
 */

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
    if (
      typeof origin !== 'string' ||
      parsed === undefined ||
      parsed.origin === 'null' ||
      parsed.origin !== origin.replace(/\/$/, '').toLowerCase()
    )
      throw new TypeError(`${option}: ${JSON.stringify(origin)} is not an origin like "https://app.acme.com" (scheme, host and port only)`)
    allowed.add(parsed.origin)
  }
  return allowed
}

/**
 * Safe methods (GET, HEAD, OPTIONS) always pass; any other needs an `Origin` header equal to one of
 * `allowed`, since a DNS-rebinding page sends a `Host` and an `Origin` that agree. A client that is
 * not a browser must send one of the allowed origins too.
 *
 * @returns null when allowed, else the detail of the 403 `origin_not_allowed`.
 */
export function originRefusal(method: string, headers: Headers, allowed: ReadonlySet<string>): string | null {
  if (SAFE_METHODS.has(method)) return null
  const origin = headers.get('origin')
  if (origin !== null && allowed.has(origin)) return null
  return origin === null
    ? 'This request changes keys and must carry an Origin header naming a page of this site.'
    : 'This request comes from a page that is not allowed to change keys here. Open the API Keys page of this site and try again.'
}
