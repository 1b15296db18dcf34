/**
 * `GET /owner` and `PUT /owner`: the signed-in owner's own settings (`keyward.owners`), read-only
 * unless `editableOwnerSettings` lets this request change a setting. The owner is `authorize`'s;
 * no request can name another.
 */
import type { OwnerInfo } from '../../rules/owners.js'
import { onlyFields, readJsonBody } from './body.js'
import type { Operation } from './operations.js'
import { OWNER_SETTING_NAMES, type OwnerSettingName } from './owner-options.js'
import { jsonResponse, ManagementProblem } from './respond.js'

type OwnerView = Omit<OwnerInfo, 'createdAt' | 'updatedAt'> & { createdAt: Date | null; updatedAt: Date | null }

const FIELDS: ReadonlySet<string> = new Set(OWNER_SETTING_NAMES)

/** What an owner without settings has: no shared limits, credits, cap, scopes or allow-list. */
function unset(id: string): OwnerView {
  return { id, rateLimits: [], credits: null, maxKeys: null, scopes: null, allowedIps: null, createdAt: null, updatedAt: null }
}

/** The setting as compared: null for none (an empty `rateLimits` included). */
function comparable(view: Record<string, unknown>, name: OwnerSettingName): string {
  const value = view[name] ?? null
  return JSON.stringify(Array.isArray(value) && value.length === 0 && name === 'rateLimits' ? null : value)
}

/**
 * The settings `body` changes against `current`. Credits are a live balance: writing them sets it,
 * so they count as changed whenever the owner has or is given credits.
 */
function changedSettings(body: Record<string, unknown>, current: OwnerView): OwnerSettingName[] {
  return OWNER_SETTING_NAMES.filter((name) =>
    name === 'credits'
      ? (body.credits ?? null) !== null || current.credits !== null
      : comparable(body, name) !== comparable(current as unknown as Record<string, unknown>, name),
  )
}

/**
 * `GET /owner`: 200 the settings and `editable`, what this request may change. `PUT /owner`
 * `{ rateLimits?, credits?, maxKeys?, scopes?, allowedIps? }` replaces them (fields left out are
 * cleared, as `owners.set` does), when every setting it changes is editable (else 403, naming
 * them, and nothing changes).
 */
export async function onOwner(op: Operation, editable: () => Promise<ReadonlySet<OwnerSettingName>>): Promise<Response> {
  const { keyward, ownerId } = op
  const current: OwnerView = (await keyward.owners.get(ownerId)) ?? unset(ownerId)
  if (op.method === 'GET') return jsonResponse(200, { ...current, editable: [...(await editable())] })
  const body = await readJsonBody(op.request, op.config.maxBodyBytes)
  onlyFields(body, FIELDS)
  const allowed = await editable()
  const refused = changedSettings(body, current).filter((name) => !allowed.has(name))
  if (refused.length > 0)
    throw new ManagementProblem(
      403,
      'owner_settings_not_allowed',
      `You cannot change ${refused.join(', ')} here: ${refused.length === 1 ? 'it is' : 'they are'} set by the operator of this service.` +
        (allowed.size === 0 ? '' : ` You may change ${[...allowed].join(', ')}.`),
    )
  const saved = await keyward.owners.set(ownerId, body, op.mutation)
  return jsonResponse(200, { ...saved, editable: [...allowed] })
}
