/** `allowedScopes`: what a tenant may grant here, and which keys it may keep alive. */
import { scopeGranted } from '../../scopes.js'
import type { ApiKeyInfo } from '../../types.js'
import { invalidInput, ManagementProblem } from './respond.js'

/** The requested scopes, each covered by `allowed` (400 naming the first that is not); core checks their shape. */
export function grantableScopes(value: unknown, allowed: readonly string[] | undefined): string[] | undefined {
  if (value === undefined || allowed === undefined || !Array.isArray(value)) return value as string[] | undefined
  value.forEach((scope, index) => {
    if (typeof scope === 'string' && !scopeGranted(allowed, scope))
      throw invalidInput(
        `scopes[${index}]`,
        `scopes[${index}]: "${scope.slice(0, 100)}" is not a scope you can grant here; allowed: ${allowed.join(', ')}`,
      )
  })
  return value as string[]
}

/**
 * A key whose scopes exceed `allowed` must not gain a new lease of life here: rotating it would
 * mint a new secret with those scopes, enabling or updating it would keep them in use.
 */
export function assertWithinAllowed(info: ApiKeyInfo, allowed: readonly string[] | undefined, action: string): void {
  if (allowed === undefined) return
  const beyond = info.scopes.filter((scope) => !scopeGranted(allowed, scope))
  if (beyond.length > 0)
    throw new ManagementProblem(
      403,
      'scope_not_allowed',
      `This key holds scopes you cannot grant here (${beyond.map((s) => s.slice(0, 100)).join(', ')}), so it cannot be ${action} here. ` +
        'You can narrow its scopes, disable, revoke or delete it.',
    )
}
