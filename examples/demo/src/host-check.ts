/**
 * DNS-rebinding defence: a page on an attacker's domain that resolves to 127.0.0.1 reaches this
 * server as "same-origin" in the browser, with the attacker's name in `Host`. The demo answers only
 * requests addressed to one of its own names, before any route runs.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express'

/** A refusal of a request addressed to a host this server does not serve. */
export interface HostRefusal {
  status: 421
  code: 'host_not_allowed'
  detail: string
}

/**
 * Whether `host` (the request's `Host` header) names this server: one of `allowed` (`host:port`,
 * as in `new URL(origin).host`), compared without regard to case.
 * @returns null when allowed, else the refusal.
 */
export function checkHost(host: string | null | undefined, allowed: ReadonlySet<string>): HostRefusal | null {
  if (host != null && allowed.has(host.toLowerCase())) return null
  const [first] = allowed
  return {
    status: 421,
    code: 'host_not_allowed',
    detail: `This server answers only requests addressed to ${[...allowed].join(', ')}. Open http://${first}/ instead.`,
  }
}

/** The `host:port` names of `origins`, for {@link checkHost}. */
export function hostsOf(origins: readonly string[]): ReadonlySet<string> {
  return new Set(origins.map((origin) => new URL(origin).host.toLowerCase()))
}

/** Express middleware: refuse (421 problem+json) a request whose `Host` is not one of `origins`' hosts. */
export function refuseForeignHosts(origins: readonly string[]): RequestHandler {
  const allowed = hostsOf(origins)
  return function demoHostCheck(req: Request, res: Response, next: NextFunction): void {
    const refusal = checkHost(req.get('host'), allowed)
    if (refusal === null) {
      next()
      return
    }
    const body = JSON.stringify({ type: 'about:blank', title: 'Misdirected Request', ...refusal })
    res
      .status(refusal.status)
      .set({ 'content-type': 'application/problem+json', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store' })
      .end(body)
  }
}
