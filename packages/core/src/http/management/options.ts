/** Options of the key management handler, checked once when it is built. */
import type { Keyward } from '../../api.js'
import { isValidScope } from '../../scopes.js'
import { type KeyManagementLimits, type LimitCaps, resolveLimits } from './limits.js'
import { parseAllowedOrigins } from './origin.js'
import { type OwnerSettingName, resolveEditable } from './owner-options.js'

/** Who is asking: the owner whose keys the request may manage, and who acts (for the audit log). */
export interface KeyManagementActor {
  /** The user, team or account id whose keys this request sees and changes. */
  ownerId: string
  /**
   * The signed-in user acting for the owner, when it is not the owner itself.
   * @default ownerId
   */
  actorId?: string
}

/**
 * Options of `keyManagementHandler`. `R` is what `authorize` and `onError` receive: the Web
 * `Request` by default, the framework's request (or context) in an adapter.
 */
export interface KeyManagementOptions<R = Request> {
  /**
   * Who is asking, from your session: the owner whose keys this request may manage (a string is
   * the owner id), or null to refuse the request with 401. Throwing or rejecting refuses it too.
   * A tenant sees and changes only its own keys; the owner never comes from the request body.
   * @example authorize: async (request) => { const user = await session(request); return user && { ownerId: user.teamId, actorId: user.id } }
   */
  authorize: (request: R) => KeyManagementActor | string | null | undefined | Promise<KeyManagementActor | string | null | undefined>
  /**
   * The origins (scheme, host and port) of the pages allowed to change keys: a state-changing
   * request (POST, PATCH, PUT, DELETE) is accepted only when its `Origin` header is one of them,
   * and refused with 403 `origin_not_allowed` otherwise, Origin missing included (cross-site request
   * forgery). The request's own `Host` is never trusted for this: a DNS-rebinding page (an
   * attacker's hostname pointed at your server) sends a `Host` and an `Origin` that agree. Required,
   * at least one; list every address users open the page at.
   * @example allowedOrigins: ['https://app.acme.com']
   * @example allowedOrigins: ['http://localhost:3000', 'http://127.0.0.1:3000']
   */
  allowedOrigins: readonly string[]
  /**
   * Request headers that carry an API key (lowercase; `authorization` means
   * `Authorization: Bearer …`). A request with any of them is refused with 403: managing keys needs
   * a user session, never a key. Use `['x-api-key']` if your sessions travel as bearer tokens.
   * @default ['authorization', 'x-api-key']
   */
  apiKeyHeaders?: readonly string[]
  /**
   * The scopes a key created or updated here may hold; a requested scope must be covered by one of
   * them (`contacts:*` covers `contacts:sync`). A key whose scopes exceed them (one made elsewhere,
   * say with `*`) can be read, disabled, revoked, deleted or narrowed here, but not rotated, enabled
   * or otherwise updated (403 `scope_not_allowed`). Without it any well-formed scope is accepted.
   * @example allowedScopes: ['messages:send', 'contacts:*', 'workflows:trigger']
   */
  allowedScopes?: readonly string[]
  /**
   * The roles (of `createKeyward({ roles })`) a key created or updated here may hold. Keys holding
   * another role are treated like keys beyond `allowedScopes`. With `allowedScopes` set, roles are
   * refused unless listed here: the handler does not see what a role grants, so list only roles
   * whose scopes you would grant.
   * @default every configured role without `allowedScopes`; none with it
   * @example allowedRoles: ['reader', 'sender']
   */
  allowedRoles?: readonly string[]
  /**
   * Which of the owner's own settings (`GET /owner`, `PUT /owner`) the signed-in user may change:
   * a list, or a function of the request (your session) returning one. Anything not listed is
   * read-only, and a `PUT /owner` naming it is refused with 403 `owner_settings_not_allowed`. Give
   * `rateLimits`, `credits`, `maxKeys` or `scopes` only to operators: a tenant holding them can raise
   * its own budget. `allowedIps` lets the tenant replace its owner allow-list, so do not grant it when
   * you set that list as a restriction of your own. A function that throws grants nothing.
   * @default [] (owner settings are read-only here)
   * @example editableOwnerSettings: (request) => (isOperator(request) ? ['rateLimits', 'credits', 'maxKeys', 'scopes', 'allowedIps'] : [])
   */
  editableOwnerSettings?: readonly OwnerSettingName[] | ((request: R) => readonly OwnerSettingName[] | Promise<readonly OwnerSettingName[]>)
  /**
   * Caps within which a tenant may set `rateLimit` and `credits` on its keys. Without them those
   * fields are refused (400 `invalid_input`): a tenant must not give itself a budget. With them,
   * every key created here is capped (a key created without a limit gets the cap), and a tenant can
   * lower a budget but never lift it past a cap, nor top up what a key has left. Caps are per key:
   * a tenant that may create keys may create several.
   * @default {} (no rate limits or credits through this API)
   * @example limits: { maxRateLimit: { limit: 600, windowMs: 60_000 }, maxCredits: { remaining: 10_000 } }
   */
  limits?: KeyManagementLimits
  /**
   * Largest JSON body accepted, in bytes.
   * @default 16384
   */
  maxBodyBytes?: number
  /**
   * The path the API is mounted at, stripped before routing; other paths are not the API's.
   * Adapters whose framework strips the mount path itself (Express, Fastify) leave it empty.
   * @default ''
   * @example basePath: '/api/keys'
   */
  basePath?: string
  /**
   * Called with errors that are not Keyward's (they answer 500 without details), for your logs.
   * It never receives a key.
   */
  onError?: (error: unknown, request: R) => void
  /**
   * The client address of a request, recorded with each change in the audit log (`actor.ip`). The
   * Express, Koa and Fastify mounts default to the framework's `ip` (which honours its proxy
   * setting); a Web `Request` carries none, so pass it on Bun, Deno or Workers.
   * @example clientAddress: (request) => request.headers.get('cf-connecting-ip')
   */
  clientAddress?: (request: R) => string | null | undefined
}

export interface ManagementConfig<R> {
  clientAddress: ((request: R) => string | null | undefined) | undefined
  authorize: KeyManagementOptions<R>['authorize']
  allowedOrigins: ReadonlySet<string>
  apiKeyHeaders: readonly string[]
  allowedScopes: readonly string[] | undefined
  allowedRoles: readonly string[] | undefined
  editableOwnerSettings: (request: R) => Promise<ReadonlySet<OwnerSettingName>>
  limits: LimitCaps
  maxBodyBytes: number
  basePath: string
  onError: ((error: unknown, request: R) => void) | undefined
}

const HEADER_NAME_RE = /^[a-z0-9!#$%&'*+.^_`|~-]+$/
const BASE_PATH_RE = /^(?:\/[\w.~!$&'()*+,;=:@%-]+)*$/
const OPTION_NAMES = new Set([
  'authorize',
  'allowedOrigins',
  'apiKeyHeaders',
  'allowedScopes',
  'allowedRoles',
  'editableOwnerSettings',
  'limits',
  'maxBodyBytes',
  'basePath',
  'onError',
  'clientAddress',
])

/** Validate the options once; a `TypeError` names the option at fault (an unknown name included). */
export function resolveManagementOptions<R>(keyward: unknown, options: KeyManagementOptions<R>): ManagementConfig<R> {
  if (keyward === null || typeof keyward !== 'object' || typeof (keyward as Keyward).list !== 'function')
    throw new TypeError('key management needs the instance returned by createKeyward(), like keyManagementHandler(keyward, options)')
  if (options === null || typeof options !== 'object')
    throw new TypeError('key management needs options with an authorize(request) function')
  for (const name of Object.keys(options))
    if (!OPTION_NAMES.has(name)) throw new TypeError(`unknown option "${name}": expected one of ${[...OPTION_NAMES].join(', ')}`)
  if (typeof options.authorize !== 'function')
    throw new TypeError('options.authorize must be a function that returns the owner id of the signed-in user')
  const allowedOrigins = parseAllowedOrigins(options.allowedOrigins)
  const headers = options.apiKeyHeaders ?? ['authorization', 'x-api-key']
  if (!Array.isArray(headers) || !headers.every((h) => typeof h === 'string' && HEADER_NAME_RE.test(h)))
    throw new TypeError('options.apiKeyHeaders must be an array of lowercase header names, like ["authorization", "x-api-key"]')
  const scopes = options.allowedScopes
  if (scopes !== undefined && (!Array.isArray(scopes) || !scopes.every(isValidScope)))
    throw new TypeError('options.allowedScopes must be an array of scopes like ["messages:send", "contacts:*"]')
  const roles = options.allowedRoles ?? (scopes === undefined ? undefined : [])
  if (roles !== undefined && (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string' && role !== '')))
    throw new TypeError('options.allowedRoles must be an array of role names like ["reader", "sender"]')
  const maxBodyBytes = options.maxBodyBytes ?? 16_384
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 256 || maxBodyBytes > 1_048_576)
    throw new TypeError('options.maxBodyBytes must be an integer from 256 to 1048576')
  const basePath = (options.basePath ?? '').replace(/\/$/, '')
  if (typeof options.basePath !== 'undefined' && (typeof options.basePath !== 'string' || !BASE_PATH_RE.test(basePath)))
    throw new TypeError('options.basePath must be a path like "/api/keys"')
  if (options.onError !== undefined && typeof options.onError !== 'function') throw new TypeError('options.onError must be a function')
  if (options.clientAddress !== undefined && typeof options.clientAddress !== 'function')
    throw new TypeError('options.clientAddress must be a function')
  return {
    clientAddress: options.clientAddress,
    authorize: options.authorize,
    allowedOrigins,
    apiKeyHeaders: [...headers],
    allowedScopes: scopes && [...scopes],
    allowedRoles: roles && [...roles],
    editableOwnerSettings: resolveEditable(options.editableOwnerSettings),
    limits: resolveLimits(options.limits),
    maxBodyBytes,
    basePath,
    onError: options.onError,
  }
}
