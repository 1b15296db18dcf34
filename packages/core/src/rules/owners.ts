import type { MutationOptions } from '../analytics-api.js'
import { validateMutationOptions } from '../analytics-validate.js'
import { InvalidInputError } from '../errors.js'
import { validateAllowList } from '../ip/index.js'
import type { EventSink } from '../instance/events.js'
import type { AuditTrail } from '../instance/audit-trail.js'
import { toStoreError } from '../instance/store-errors.js'
import type { Limits } from '../limits.js'
import { type OwnerRecord, ownerChangeId } from '../rules-types.js'
import type { Credits, KeyStore } from '../types.js'
import { validateCredits, validateOptionsBag, validateOwnerId, validateScopes } from '../validate.js'
import type { OwnerCache } from './owner-cache.js'
import { validateRateLimits } from './validate.js'

/** Settings of an owner: every key of the owner draws from these as well as its own. */
export interface OwnerSettings {
  /** Limits all the owner's keys share (`{ name, limit, windowMs, algorithm? }`). */
  rateLimits?: OwnerRecord['rateLimits'] | null
  /** Credits all the owner's keys spend from, as well as their own. */
  credits?: Pick<Credits, 'remaining' | 'refill'> | null
  /** The most live (not revoked, not expired) keys the owner may hold; creating one more is a `LimitExceededError`. */
  maxKeys?: number | null
  /** The most any key of the owner may do: a key's effective scopes are its own ∩ these. */
  scopes?: string[] | null
  /** Addresses and CIDR ranges every key of the owner must be used from. */
  allowedIps?: string[] | null
}

/** An owner's stored settings. */
export type OwnerInfo = Omit<OwnerRecord, 'revision'>

/** `keyward.owners`: set and read an owner's shared limits, credits, key cap, scopes and allowed IPs. */
export interface OwnersApi {
  /**
   * Replace an owner's settings (fields left out are cleared). Takes effect on every instance within
   * the cache's reach (at once through a store with `subscribe`).
   * @example await keyward.owners.set('acct_42', { maxKeys: 20, rateLimits: [{ name: 'default', limit: 1000, windowMs: 60_000 }] })
   */
  set(ownerId: string, settings: OwnerSettings, options?: MutationOptions): Promise<OwnerInfo>
  /** An owner's settings, or null when none were set. */
  get(ownerId: string): Promise<OwnerInfo | null>
}

const OWNER_FIELDS = ['rateLimits', 'credits', 'maxKeys', 'scopes', 'allowedIps'] as const
const MAX_KEYS_CAP = 1_000_000

export interface OwnersParts {
  store: KeyStore
  limits: Limits
  audit: AuditTrail
  events: EventSink
  owners: OwnerCache
  now: () => number
  assertOpen: () => void
}

/** The owners API over a store with `getOwner` and `putOwner`. */
export function ownersApi(p: OwnersParts): OwnersApi {
  const store = p.store
  return {
    async set(ownerId, settings, options) {
      p.assertOpen()
      const id = requiredOwnerId(ownerId)
      const fields = validateOptionsBag(settings, 'settings', OWNER_FIELDS)
      const actor = validateMutationOptions(options)
      const now = p.now()
      const rateLimits = validateRateLimits(fields.rateLimits) ?? []
      const credits = validateCredits(fields.credits)
      const maxKeys = fields.maxKeys === undefined || fields.maxKeys === null ? null : validateMaxKeys(fields.maxKeys)
      const scopes = fields.scopes === undefined || fields.scopes === null ? null : validateScopes(fields.scopes)
      const allowedIps =
        fields.allowedIps === undefined || fields.allowedIps === null ? null : validateAllowList(fields.allowedIps, 'allowedIps')
      if (!store.putOwner || !store.getOwner) throw new InvalidInputError('ownerId', 'this store cannot keep owners (it has no putOwner)')
      if ((rateLimits.length > 0 || credits !== null) && !p.limits.canCharge)
        throw new InvalidInputError(rateLimits.length > 0 ? 'rateLimits' : 'credits', 'this store cannot charge owners (it has no charge)')
      const record: OwnerRecord = {
        id,
        rateLimits,
        credits: credits && (credits.refill ? { ...credits, refilledAt: now } : credits),
        maxKeys,
        scopes,
        allowedIps,
        createdAt: new Date(now),
        updatedAt: new Date(now),
        revision: 0,
      }
      const changed = Object.keys(fields).filter((name) => fields[name] !== undefined)
      const audit = p.audit.entry('owner.updated', now, { keyId: null, ownerId: id }, actor, changed)
      let stored: OwnerRecord
      try {
        stored = await store.putOwner(record, audit && { audit })
      } catch (error) {
        throw toStoreError('owners.set', error)
      } finally {
        p.owners.invalidate(ownerChangeId(id))
      }
      p.events.emit({ type: 'owner.updated', ownerId: id, ...(actor && { actor }) })
      return infoOf(stored)
    },
    async get(ownerId) {
      p.assertOpen()
      const id = requiredOwnerId(ownerId)
      if (!store.getOwner) return null
      const owner = await p.owners.read(id, 'owners.get')
      return owner && infoOf(owner)
    },
  }
}

function requiredOwnerId(ownerId: unknown): string {
  const id = validateOwnerId(ownerId)
  if (id === null) throw new InvalidInputError('ownerId', 'is required')
  return id
}

function validateMaxKeys(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_KEYS_CAP)
    throw new InvalidInputError('maxKeys', `must be a whole number from 0 to ${MAX_KEYS_CAP}, or null`)
  return value
}

function infoOf(owner: OwnerRecord): OwnerInfo {
  const { revision: _revision, ...info } = structuredClone(owner)
  return info
}
