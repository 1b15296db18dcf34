/**
 * The conformance suite's three apps as plain fetch handlers on core's framework-free pieces
 * (`withApiKey`, `requireScopes`, `keyManagementHandler`, `secretScanningWebHandler`): what a Bun,
 * Deno or Workers user writes. The same code runs in-process on Node and inside each runtime.
 */
import type { Keyward } from '@keyward/core'
import { keyManagementHandler, requireScopes, secretScanningWebHandler, withApiKey } from '@keyward/core/http'
import { getApiKey, type HttpAuthOptions, type KeyManagementOptions } from '@keyward/core/http'
import type { SecretScanningOptions } from '@keyward/core/secret-scanning'

export type ProxyTrust = 'none' | 'one-hop' | 'every'
export type App = (request: Request, ...rest: unknown[]) => Promise<Response>

const json = (value: unknown) => Response.json(value)
const NOT_FOUND = () => new Response('Not Found', { status: 404 })

/** `GET /health`, and under `/v1` the key-protected routes of the suite. */
export function authApp(
  keyward: Keyward<string>,
  options: HttpAuthOptions<string, Request>,
  handled: (route: string) => void,
  proxy: ProxyTrust,
): App {
  const trustProxy = proxy === 'none' ? false : proxy === 'one-hop' ? 1 : true
  const routes: Record<string, (request: Request, ...rest: unknown[]) => Promise<Response>> = {
    'GET /v1/me': async (request) => {
      handled('me')
      return json({ id: getApiKey(request)?.id ?? null })
    },
    'POST /v1/messages': requireScopes(['messages:send'], async () => {
      handled('messages')
      return json({ sent: true })
    }),
    'POST /v1/workflows': requireScopes(['workflows:run', 'messages:send'], async () => {
      handled('workflows')
      return json({ run: true })
    }),
    'POST /v1/contacts': requireScopes({ anyOf: ['contacts:read', 'contacts:write'] }, async () => {
      handled('contacts')
      return json({ listed: true })
    }),
  }
  const v1 = withApiKey(
    keyward,
    (request: Request, ...rest: unknown[]) => (routes[`${request.method} ${new URL(request.url).pathname}`] ?? NOT_FOUND)(request, ...rest),
    { ...options, trustProxy },
  )
  return async (request, ...rest) => {
    const { pathname } = new URL(request.url)
    if (request.method === 'GET' && pathname === '/health') {
      handled('health')
      return json({ ok: true })
    }
    return pathname.startsWith('/v1/') ? v1(request, ...rest) : NOT_FOUND()
  }
}

/** `response` with its `Content-Length`, so that a HEAD answer carries the GET's. */
async function withLength(response: Response): Promise<Response> {
  if (response.body === null || response.headers.has('content-length')) return response
  const body = new Uint8Array(await response.arrayBuffer())
  const sized = new Response(body, response)
  sized.headers.set('content-length', String(body.byteLength))
  return sized
}

/** Key management at `/api/keys`. */
export function managementApp(keyward: Keyward<string>, options: KeyManagementOptions<Request>): App {
  const handle = keyManagementHandler(keyward, { basePath: '/api/keys', ...options })
  return async (request) => {
    if (!handle.handles(new URL(request.url).pathname)) return NOT_FOUND()
    const response = await withLength(await handle(request, request))
    // What HTTP itself says of HEAD: the GET's headers and no body.
    return request.method === 'HEAD' ? new Response(null, response) : response
  }
}

/** GitHub's secret scanning at `POST /github/secret-scanning`. */
export function secretScanningApp(keyward: Keyward<string>, options: SecretScanningOptions): App {
  const handle = secretScanningWebHandler(keyward, options)
  return async (request) =>
    request.method === 'POST' && new URL(request.url).pathname === '/github/secret-scanning' ? handle(request) : NOT_FOUND()
}
