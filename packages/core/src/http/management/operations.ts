/**
 * The operations of the key management API, each on the keys of one owner: list and create on the
 * collection; get, update and delete on a key; disable, enable, revoke and rotate as actions.
 */
import type { MutationOptions } from '../../analytics-api.js'
import type { Keyward } from '../../api.js'
import type { ApiKeyInfo, Metadata } from '../../types.js'
import { ACTION_FIELDS, checkName, dateField, fieldsOf, onlyFields, readJsonBody } from './body.js'
import { cappedCredits, cappedRateLimit } from './limits.js'
import type { ManagementConfig } from './options.js'
import { invalidInput, jsonResponse, ManagementProblem } from './respond.js'
import type { KeyAction } from './routes.js'
import { accessRules } from './rules.js'
import { assertWithinAllowed, grantableScopes } from './scopes.js'

/** What every operation works with. */
export interface Operation {
  keyward: Keyward<string>
  config: ManagementConfig<unknown>
  request: Request
  /** GET for HEAD. */
  method: string
  ownerId: string
  /** Who acts for the owner, and from where: passed to every mutation for the audit log. */
  mutation: MutationOptions
}

/** A query parameter given at most once. */
export function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name)
  if (values.length > 1) throw invalidInput(name, `${name}: must be a single string`)
  return values[0]
}

/** `GET /` lists the owner's keys; `POST /` creates one (its key is in this answer only). */
export async function onCollection(op: Operation): Promise<Response> {
  const { keyward, ownerId } = op
  if (op.method === 'GET') {
    const params = new URL(op.request.url).searchParams
    const limit = single(params, 'limit')
    const cursor = single(params, 'cursor')
    const page = await keyward.list({
      ownerId,
      includeRevoked: params.getAll('includeRevoked').join() === 'true',
      ...(limit !== undefined && { limit: Number(limit) }),
      ...(cursor !== undefined && { cursor }),
    })
    return jsonResponse(200, page)
  }
  const body = await readJsonBody(op.request, op.config.maxBodyBytes)
  const { limits } = op.config
  onlyFields(body, fieldsOf(limits).create)
  checkName(keyward, body.name)
  const created = await keyward.create(
    {
      name: body.name as string,
      ownerId,
      scopes: grantableScopes(body.scopes, op.config.allowedScopes),
      expiresAt: dateField(body.expiresAt, 'expiresAt'),
      ...accessRules(body, op.config, true),
      ...(body.metadata !== undefined && { metadata: body.metadata as Metadata }),
      ...(limits.rateLimit !== null && { rateLimit: cappedRateLimit(body.rateLimit, limits.rateLimit) }),
      ...(limits.credits !== null && { credits: cappedCredits(body.credits, limits.credits, undefined, Date.now()) }),
    },
    op.mutation,
  )
  return jsonResponse(201, created)
}

/** A path parameter quoted back only when it is shaped like a key id: base62, never a whole key or a secret. */
function quoteId(id: string): string {
  return /^[0-9A-Za-z]{1,32}$/.test(id) ? `"${id}"` : 'given'
}

/** The key `id` when it belongs to the owner; another owner's key is "not found" like an unknown one. */
export async function ownKey(op: Operation, id: string): Promise<ApiKeyInfo> {
  const info = await op.keyward.get(id)
  if (info === null || info.ownerId !== op.ownerId) throw new ManagementProblem(404, 'not_found', `No API key with the id ${quoteId(id)}.`)
  return info
}

/** `GET /:id`, `PATCH /:id` (name, scopes, roles, dates, allowed IPs, metadata; limits within the caps) and `DELETE /:id`. */
export async function onKey(op: Operation, current: ApiKeyInfo): Promise<Response> {
  const { keyward } = op
  if (op.method === 'GET') return jsonResponse(200, current)
  if (op.method === 'DELETE') {
    await keyward.delete(current.id, op.mutation)
    return jsonResponse(204)
  }
  const body = await readJsonBody(op.request, op.config.maxBodyBytes)
  const { limits } = op.config
  onlyFields(body, fieldsOf(limits).update)
  checkName(keyward, body.name)
  const expiresAt = dateField(body.expiresAt, 'expiresAt')
  // New scopes and roles are checked on their own; without them, the key keeps those it has.
  assertWithinAllowed(current, op.config, 'updated', { scopes: Array.isArray(body.scopes), roles: Array.isArray(body.roles) })
  const updated = await keyward.update(
    current.id,
    {
      ...(body.name !== undefined && { name: body.name as string }),
      ...(body.scopes !== undefined && { scopes: grantableScopes(body.scopes, op.config.allowedScopes) }),
      ...(expiresAt !== undefined && { expiresAt }),
      ...accessRules(body, op.config, false),
      ...(body.metadata !== undefined && { metadata: body.metadata as Metadata }),
      ...(limits.rateLimit !== null && body.rateLimit !== undefined && { rateLimit: cappedRateLimit(body.rateLimit, limits.rateLimit) }),
      ...(limits.credits !== null &&
        body.credits !== undefined && { credits: cappedCredits(body.credits, limits.credits, current.credits, Date.now()) }),
    },
    op.mutation,
  )
  return jsonResponse(200, updated)
}

/** `POST /:id/rotate` (grace period, expiry of the new key) and `POST /:id/disable|enable|revoke`. */
export async function onAction(op: Operation, current: ApiKeyInfo, action: KeyAction): Promise<Response> {
  const { keyward } = op
  const body = await readJsonBody(op.request, op.config.maxBodyBytes)
  if (action === 'rotate') {
    onlyFields(body, ACTION_FIELDS.rotate)
    assertWithinAllowed(current, op.config, 'rotated')
    const expiresAt = dateField(body.expiresAt, 'expiresAt')
    const rotated = await keyward.rotate(
      current.id,
      {
        ...(body.gracePeriodMs !== undefined && { gracePeriodMs: body.gracePeriodMs as number }),
        ...(expiresAt !== undefined && { expiresAt }),
      },
      op.mutation,
    )
    return jsonResponse(200, rotated)
  }
  onlyFields(body, ACTION_FIELDS.none)
  if (action === 'enable') assertWithinAllowed(current, op.config, 'enabled')
  return jsonResponse(200, await keyward[action](current.id, op.mutation))
}
