/**
 * `keyManagementHandler`: the JSON API behind an "API Keys" page, framework-free (Web `Request` in,
 * Web `Response` out). Express, Koa and Fastify mount it in a few lines.
 */
import type { AuditActor } from '../../analytics-types.js'
import type { Keyward } from '../../api.js'
import { CONTROL_RE as CONTROL_CHARACTERS } from '../../validate.js'
import { extractCredential } from '../credentials.js'
import { onAction, onCollection, onKey, ownKey, type Operation } from './operations.js'
import { onOwner } from './owner.js'
import { onView } from './views.js'
import { resolveManagementOptions, type KeyManagementActor, type KeyManagementOptions, type ManagementConfig } from './options.js'
import { originRefusal } from './origin.js'
import { errorResponse, jsonResponse, ManagementProblem } from './respond.js'
import { ALLOW, methodAllowed, route } from './routes.js'

export type { KeyManagementLimits } from './limits.js'
export type { KeyManagementActor, KeyManagementOptions } from './options.js'
export type { OwnerSettingName } from './owner-options.js'

/**
 * The handler `keyManagementHandler` returns. `context` is what `authorize` and `onError` receive
 * (the framework's request in an adapter); without it they receive `request`.
 */
export interface KeyManagementHandler<R = Request> {
  (request: Request, ...context: Request extends R ? [context?: R] : [context: R]): Promise<Response>
  /** Whether `pathname` is one of the API's paths: adapters pass any other request on. */
  handles(pathname: string): boolean
}

/** A request that carries an API key in one of `names` (also folded into one header with commas). */
function carriesApiKey(headers: Headers, names: readonly string[]): boolean {
  for (const name of names) {
    const value = headers.get(name)
    if (value === null) continue
    if (name !== 'authorization') return true
    if (value.split(',').some((part) => extractCredential(['authorization', part], names).kind !== 'none')) return true
  }
  return false
}

async function actorOf<R>(config: ManagementConfig<R>, context: R): Promise<KeyManagementActor> {
  let actor: unknown
  try {
    actor = await config.authorize(context)
  } catch {
    actor = undefined
  }
  if (typeof actor === 'string' && actor.length > 0) return { ownerId: actor, actorId: actor }
  const { ownerId, actorId } = (actor ?? {}) as Partial<KeyManagementActor>
  if (typeof ownerId === 'string' && ownerId.length > 0)
    return { ownerId, actorId: typeof actorId === 'string' && actorId.length > 0 ? actorId : ownerId }
  throw new ManagementProblem(401, 'unauthorized', 'Sign in to manage API keys.')
}

/**
 * The JSON API behind an "API Keys" page, for the keys of one owner: the signed-in user's team or
 * account, as `authorize` returns it.
 *
 * | request | answer |
 * | --- | --- |
 * | `GET /` (`?limit=&cursor=&includeRevoked=true`) | 200 `{ items: ApiKeyInfo[], nextCursor? }` |
 * | `POST /` `{ name, scopes?, roles?, expiresAt?, notBefore?, allowedIps?, metadata?, rateLimit?, rateLimits?, credits? }` | 201 `{ key, info }`: the key, shown this once |
 * | `GET /:id` | 200 `ApiKeyInfo` |
 * | `PATCH /:id` (the fields of `POST /` but `name` optional) | 200 `ApiKeyInfo` |
 * | `POST /:id/disable`, `/enable`, `/revoke` | 200 `ApiKeyInfo` |
 * | `POST /:id/rotate` `{ gracePeriodMs?, expiresAt? }` | 200 `{ key, info, previous }`: the old key works for `gracePeriodMs` more |
 * | `DELETE /:id` | 204 |
 * | `GET /owner` | 200 the owner's settings (`keyward.owners.get`, empty when none) and `editable`: what this request may change |
 * | `PUT /owner` `{ rateLimits?, credits?, maxKeys?, scopes?, allowedIps? }` | 200 the new settings; every setting it changes must be in `editableOwnerSettings` |
 *
 * Dates (`expiresAt`, `notBefore`) are ISO 8601 strings or epoch milliseconds, and come back as ISO
 * strings. `allowedIps` (addresses and CIDR ranges, or null for anywhere) and `notBefore` are the
 * tenant's own to set: they only narrow a key. `roles` must be configured in `createKeyward` and
 * listed in `allowedRoles`. `rateLimit`, `rateLimits` and `credits` are fields only within the caps
 * of `options.limits` (else refused, so a tenant cannot give itself a budget); `metadata` is JSON of
 * at most 8 KiB, as core checks it.
 *
 * Owner settings (`/owner`): always the settings of `authorize`'s owner, never another's. They hold
 * the limits, credits, key cap and scopes every key of the owner shares, so by default they are
 * read-only here; `editableOwnerSettings` names what a request may change (operators: all of them;
 * a tenant: at most `allowedIps`). `PUT` replaces the settings like `owners.set` (send them all, as
 * `GET` returns them): a setting sent unchanged needs no permission, but credits are a live balance,
 * so writing any (or clearing them) needs `credits`. A change it may not make is refused whole with
 * 403 `owner_settings_not_allowed`.
 *
 * Refusals are `application/problem+json` with a stable `code`: 400 `invalid_input` (with `field`; a
 * bad IP entry is named, never quoted back), 401 `unauthorized` (`authorize` refused), 403
 * `api_key_not_accepted` (the request carries an API key: managing keys needs a session), 403
 * `origin_not_allowed` (a state-changing request whose `Origin` is not in `allowedOrigins`), 403
 * `scope_not_allowed` (rotating, enabling or updating a key whose scopes or roles exceed
 * `allowedScopes` / `allowedRoles`), 403 `owner_settings_not_allowed`, 404 `not_found` (also for
 * another owner's key; a path that is not shaped like an id is never quoted back), 405 with `Allow`,
 * 409 `invalid_state` / `conflict`, 409 `limit_exceeded` (creating past the owner's `maxKeys`), 413,
 * 415, 503 `store_unavailable` with `Retry-After`. No response but the 201 of create and the 200 of
 * rotate ever contains a key; every response is `Cache-Control: no-store`. Throws a `TypeError` at
 * once for invalid options, `allowedOrigins` missing or empty included.
 *
 * @example
 * import { keyManagementHandler } from '@keyward/core/http'
 *
 * const keys = keyManagementHandler(keyward, {
 *   basePath: '/api/keys',
 *   authorize: async (request) => (await session(request))?.teamId ?? null,
 *   allowedOrigins: ['https://app.acme.com'],
 *   allowedScopes: ['messages:send', 'contacts:sync'],
 * })
 * Bun.serve({ fetch: (request) => keys(request) })
 */
export function keyManagementHandler<R = Request, S extends string = string>(
  keyward: Keyward<S>,
  options: KeyManagementOptions<R>,
): KeyManagementHandler<R> {
  const config = resolveManagementOptions(keyward, options)
  const kw = keyward as unknown as Keyward<string>

  async function respond(request: Request, context: R): Promise<Response> {
    const url = new URL(request.url)
    const target = route(url.pathname, config.basePath)
    if (target === null) throw new ManagementProblem(404, 'not_found', 'There is no key management endpoint at this path.')
    const method = request.method.toUpperCase()
    if (method === 'OPTIONS') return jsonResponse(204, undefined, { allow: ALLOW[target.kind] })
    if (!methodAllowed(target, method))
      throw new ManagementProblem(405, 'method_not_allowed', `Use ${ALLOW[target.kind]} here.`, undefined, { allow: ALLOW[target.kind] })
    if (carriesApiKey(request.headers, config.apiKeyHeaders))
      throw new ManagementProblem(
        403,
        'api_key_not_accepted',
        'Keys are managed from a signed-in session. This API does not accept API keys: remove the Authorization or X-API-Key header.',
      )
    const refusal = originRefusal(method, request.headers, config.allowedOrigins)
    if (refusal !== null) throw new ManagementProblem(403, 'origin_not_allowed', refusal)
    const { ownerId, actorId = ownerId } = await actorOf(config, context)
    const op: Operation = {
      keyward: kw,
      config: config as ManagementConfig<unknown>,
      request,
      method: method === 'HEAD' ? 'GET' : method,
      ownerId,
      mutation: { actor: actorFrom(actorId, request, config.clientAddress?.(context)) },
    }
    if (target.kind === 'collection') return onCollection(op)
    if (target.kind === 'owner') return onOwner(op, () => config.editableOwnerSettings(context))
    const current = await ownKey(op, target.id)
    if (target.kind === 'view') return onView(op, current, target.view)
    return target.kind === 'key' ? onKey(op, current) : onAction(op, current, target.action)
  }

  const handler = async (request: Request, context?: R): Promise<Response> => {
    const native = (context === undefined ? request : context) as R
    try {
      return await respond(request, native)
    } catch (error) {
      try {
        return errorResponse(error, kw, () => config.onError?.(error, native))
      } catch {
        return new Response(null, { status: 500, headers: { 'cache-control': 'no-store' } })
      }
    }
  }
  return Object.assign(handler, { handles: (pathname: string) => route(pathname, config.basePath) !== null }) as KeyManagementHandler<R>
}

const CONTROL_RE = new RegExp(CONTROL_CHARACTERS.source, 'g')

/** The audit actor of a request: who (from `authorize`), from which address, with which browser (bounded, cleaned). */
function actorFrom(id: string, request: Request, ip: string | null | undefined): AuditActor {
  const actor: AuditActor = { id: id.replace(CONTROL_RE, '').slice(0, 200) || 'unknown' }
  const address = typeof ip === 'string' ? ip.replace(CONTROL_RE, '').slice(0, 100) : ''
  if (address !== '') actor.ip = address
  const userAgent = (request.headers.get('user-agent') ?? '').replace(CONTROL_RE, '').slice(0, 500)
  if (userAgent !== '') actor.userAgent = userAgent
  return actor
}
