/**
 * Access rules from a create or update body: `allowedIps` and `notBefore` as the tenant sends them
 * (core checks them), `roles` within `allowedRoles`, `rateLimits` only within `limits.maxRateLimits`.
 */
import type { AccessRulesInput } from '../../rules/api.js'
import { dateField } from './body.js'
import { cappedRateLimits } from './limits.js'
import type { ManagementConfig } from './options.js'
import { grantableRoles } from './scopes.js'

/** The access rules `body` sets; on create, a key gets every capped named limit. */
export function accessRules(body: Record<string, unknown>, config: ManagementConfig<unknown>, creating: boolean): AccessRulesInput {
  const notBefore = dateField(body.notBefore, 'notBefore')
  const roles = grantableRoles(body.roles, config.allowedRoles)
  const caps = config.limits.rateLimits
  return {
    ...(body.allowedIps !== undefined && { allowedIps: body.allowedIps as string[] | null }),
    ...(notBefore !== undefined && { notBefore }),
    ...(roles !== undefined && { roles }),
    ...(caps.length > 0 && (creating || body.rateLimits !== undefined) && { rateLimits: cappedRateLimits(body.rateLimits, caps) }),
  }
}
