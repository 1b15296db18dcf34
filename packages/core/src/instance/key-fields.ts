import { InvalidInputError } from '../errors.js'
import { validateAllowList } from '../ip/index.js'
import type { Limits } from '../limits.js'
import type { InsertCap } from '../rules-types.js'
import type { OwnerCache } from '../rules/owner-cache.js'
import { validateNotBefore, validateRateLimits, validateRoles } from '../rules/validate.js'
import type { RoleTable } from '../scopes.js'
import type { ApiKeyPatch, Credits, RateLimit } from '../types.js'
import {
  validateCredits,
  validateExpiresAt,
  validateMetadata,
  validateName,
  validateOwnerId,
  validateRateLimit,
  validateScopes,
} from '../validate.js'
import type { NewRecordFields } from './record-writer.js'

export interface KeyFieldsParts {
  limits: Limits
  owners: OwnerCache
  roles: RoleTable
}

/** Checks the fields of a new or changed key (create, import, update), refusing what the store cannot keep. */
export class KeyFields {
  readonly #p: KeyFieldsParts

  constructor(parts: KeyFieldsParts) {
    this.#p = parts
  }

  /** Every field of a new key, checked; absent ones take their defaults. */
  forNew(fields: Record<string, unknown>, now: number): NewRecordFields {
    const base: NewRecordFields = {
      name: validateName(fields.name),
      ownerId: validateOwnerId(fields.ownerId),
      scopes: validateScopes(fields.scopes),
      metadata: validateMetadata(fields.metadata),
      expiresAt: validateExpiresAt(fields.expiresAt, now),
      rateLimit: this.#rateLimit(fields.rateLimit),
      credits: this.#credits(fields.credits, now),
      rateLimits: null,
      notBefore: null,
      roles: [],
      allowedIps: null,
      ...this.#rules(fields),
    }
    if (base.rateLimits?.some((limit) => limit.name === 'default') && base.rateLimit !== null)
      throw new InvalidInputError('rateLimits', 'names "default", the limit rateLimit sets: give one or the other')
    return base
  }

  /** The fields given for an update, checked; the others stay as they are. */
  forPatch(fields: Record<string, unknown>, now: number): ApiKeyPatch {
    const patch: ApiKeyPatch = {}
    if (fields.name !== undefined) patch.name = validateName(fields.name)
    if (fields.scopes !== undefined) patch.scopes = validateScopes(fields.scopes)
    if (fields.metadata !== undefined) patch.metadata = validateMetadata(fields.metadata)
    if (fields.expiresAt !== undefined) patch.expiresAt = validateExpiresAt(fields.expiresAt, now)
    if (fields.rateLimit !== undefined) patch.rateLimit = this.#rateLimit(fields.rateLimit)
    if (fields.credits !== undefined) patch.credits = this.#credits(fields.credits, now)
    return Object.assign(patch, this.#rules(fields))
  }

  /** The live-key cap of a new key's owner, read fresh from the store (undefined for none). */
  async capFor(ownerId: string | null, now: number): Promise<InsertCap | undefined> {
    if (ownerId === null || !this.#p.owners.enabled) return undefined
    const owner = await this.#p.owners.read(ownerId, 'create')
    return owner?.maxKeys == null ? undefined : { maxKeys: owner.maxKeys, now }
  }

  /** The access-rule fields given in `fields`, checked. */
  #rules(fields: Record<string, unknown>): Pick<ApiKeyPatch, 'rateLimits' | 'notBefore' | 'roles' | 'allowedIps'> {
    const rules: Pick<ApiKeyPatch, 'rateLimits' | 'notBefore' | 'roles' | 'allowedIps'> = {}
    if (fields.rateLimits !== undefined) {
      rules.rateLimits = validateRateLimits(fields.rateLimits)
      if (rules.rateLimits !== null && !this.#p.limits.canCharge)
        throw new InvalidInputError('rateLimits', 'this store cannot keep named limits (it has no charge)')
    }
    if (fields.notBefore !== undefined) rules.notBefore = validateNotBefore(fields.notBefore)
    if (fields.roles !== undefined) rules.roles = validateRoles(fields.roles, this.#p.roles)
    if (fields.allowedIps !== undefined)
      rules.allowedIps = fields.allowedIps === null ? null : validateAllowList(fields.allowedIps, 'allowedIps')
    return rules
  }

  #rateLimit(input: unknown): RateLimit | null {
    const rateLimit = validateRateLimit(input)
    if (rateLimit !== null && !this.#p.limits.canRateLimit)
      throw new InvalidInputError('rateLimit', 'this store cannot count requests (it has no incrementCounter)')
    return rateLimit
  }

  #credits(input: unknown, now: number): Credits | null {
    const credits = validateCredits(input)
    if (credits === null) return null
    if (!this.#p.limits.canSpendCredits) throw new InvalidInputError('credits', 'this store cannot spend credits (it has no spendCredits)')
    return credits.refill ? { ...credits, refilledAt: now } : credits
  }
}
