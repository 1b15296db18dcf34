/**
 * The client address of a Web `Request`, for failed-attempt throttling. A `Request` carries no peer
 * address: each runtime hands it beside the request, and {@link runtimePeerAddress} finds it there.
 */

/** Structural views of what each runtime passes beside the request (no runtime's types imported). */
interface BunServerLike {
  requestIP(request: Request): { address: string } | null
}
interface DenoServeInfoLike {
  remoteAddr: { hostname: string }
}
interface NodeServerEnvLike {
  incoming: { socket: { remoteAddress?: string } }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object'
}

/** Whether this code runs in Cloudflare Workers (workerd), where `CF-Connecting-IP` is set by Cloudflare. */
function onCloudflareWorkers(): boolean {
  return (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === 'Cloudflare-Workers'
}

/**
 * The peer address of `request` from what the runtime passed beside it (`context`, the second
 * argument of the `fetch` handler): Bun's `server.requestIP(request)`, Deno's `info.remoteAddr`,
 * `@hono/node-server`'s `incoming.socket`, Cloudflare Workers' `CF-Connecting-IP` (which Cloudflare
 * sets; the header is read only inside workerd). Undefined elsewhere (a Next.js route handler), and
 * then failed attempts are not throttled per source.
 */
export function runtimePeerAddress(request: Request, context: unknown): string | undefined {
  if (isObject(context)) {
    if (typeof context.requestIP === 'function') return (context as unknown as BunServerLike).requestIP(request)?.address
    if (isObject(context.remoteAddr) && typeof context.remoteAddr.hostname === 'string')
      return (context as unknown as DenoServeInfoLike).remoteAddr.hostname
    if (isObject(context.incoming) && isObject(context.incoming.socket))
      return (context as unknown as NodeServerEnvLike).incoming.socket.remoteAddress
  }
  if (onCloudflareWorkers()) return request.headers.get('cf-connecting-ip') ?? undefined
  return undefined
}

/**
 * Which proxies in front of the app are trusted to say who the client is in `X-Forwarded-For`:
 * `false` none (the peer is the client), a number of hops (`1` behind one proxy: the address that
 * proxy saw), `true` every one (the leftmost entry, which the client writes itself).
 */
export type ProxyTrustSetting = boolean | number

/** Throws a `TypeError` unless `value` is a valid {@link ProxyTrustSetting}. */
export function assertProxyTrust(value: unknown, name: string): asserts value is ProxyTrustSetting {
  if (typeof value !== 'boolean' && !(Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 32))
    throw new TypeError(`${name} must be false, true or a number of proxy hops from 0 to 32 (like 1 behind one proxy)`)
}

/**
 * The client address for `trust`: as Express computes `req.ip`, from the peer and then
 * `X-Forwarded-For` right to left, `trust` hops deep (the leftmost entry when `trust` is true).
 */
export function forwardedClient(headers: Headers, peer: string | undefined, trust: ProxyTrustSetting): string | undefined {
  if (trust === false || trust === 0) return peer
  const forwarded = headers.get('x-forwarded-for')
  if (forwarded === null) return peer
  const chain = forwarded
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  if (chain.length === 0) return peer
  if (trust === true) return chain[0]
  return chain[Math.max(0, chain.length - trust)]
}

/** The warning for a trust-every-proxy setting, printed once per handler. */
export const TRUST_EVERY_PROXY_WARNING =
  '[keyward] trustProxy is true, so the client address is the leftmost X-Forwarded-For entry, which the client writes ' +
  'itself: a client can dodge failed-key throttling or get another address throttled. Trust only your proxies: ' +
  'trustProxy: 1 behind one proxy.'
