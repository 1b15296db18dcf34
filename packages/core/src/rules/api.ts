import type { NamedRateLimit } from '../rules-types.js'

/** Access rules a key may carry, on `create` and `update`. */
export interface AccessRulesInput {
  /**
   * Named limits beside `rateLimit` (which is the one named `default`), or null for none.
   * @example [{ name: 'tokens', limit: 10_000, windowMs: 60_000, algorithm: 'sliding' }]
   */
  rateLimits?: NamedRateLimit[] | null
  /** Before this time the key fails `not_yet_valid` (401). */
  notBefore?: Date | number | null
  /** Roles from `createKeyward({ roles })`; the key may do what its scopes and its roles allow. */
  roles?: string[]
  /**
   * IPv4/IPv6 addresses and CIDR ranges the key may be used from (at most 1,000); a request from
   * elsewhere fails `ip_not_allowed` (403). Adapters pass the client address as `source`.
   * @example ['203.0.113.0/24', '2001:db8::/32']
   */
  allowedIps?: string[] | null
}

/** Options of `createKeyward` for access rules. */
export interface AccessRulesOptions {
  /**
   * Named default limits for every key without its own limit of that name (beside `rateLimit`,
   * the default named `default`).
   */
  rateLimits?: NamedRateLimit[]
  /**
   * Roles: name → scopes. A key holding a role may do what the role allows; changing a role here
   * changes every key that holds it, with no store write.
   * @example { reader: ['contacts:read'], admin: ['*'] }
   */
  roles?: Record<string, string[]>
}
