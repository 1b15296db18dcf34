/** `allowedScopes` and `allowedRoles`: what a tenant may grant here, and which keys it may keep alive. */
import { scopeGranted } from '../../scopes.js'
import type { ApiKeyInfo } from '../../types.js'
import { invalidInput, ManagementProblem } from './respond.js'

/** What a key made or changed here may hold; undefined for anything core accepts. */
export interface Grantable {
  allowedScopes: readonly string[] | undefined
  allowedRoles: readonly string[] | undefined
}

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

/** The requested roles, each in `allowed` (400 naming the first that is not); core checks they are configured. */
export function grantableRoles(value: unknown, allowed: readonly string[] | undefined): string[] | undefined {
  if (value === undefined || allowed === undefined || !Array.isArray(value)) return value as string[] | undefined
  value.forEach((role, index) => {
    if (typeof role === 'string' && !allowed.includes(role))
      throw invalidInput(
        `roles[${index}]`,
        allowed.length === 0
          ? `roles[${index}]: no roles can be granted here`
          : `roles[${index}]: "${role.slice(0, 100)}" is not a role you can grant here; allowed: ${allowed.join(', ')}`,
      )
  })
  return value as string[]
}

/**
 * A key whose scopes or roles exceed what may be granted here must not gain a new lease of life:
 * rotating it would mint a new secret with them, enabling or updating it would keep them in use.
 * `replacing` names what the request itself replaces (checked on its own).
 */
export function assertWithinAllowed(
  info: ApiKeyInfo,
  grantable: Grantable,
  action: string,
  replacing: { scopes?: boolean; roles?: boolean } = {},
): void {
  const { allowedScopes, allowedRoles } = grantable
  const beyond = [
    ...(allowedScopes === undefined || replacing.scopes ? [] : info.scopes.filter((scope) => !scopeGranted(allowedScopes, scope))),
    ...(allowedRoles === undefined || replacing.roles
      ? []
      : info.roles.filter((role) => !allowedRoles.includes(role)).map((r) => `role ${r}`)),
  ]
  if (beyond.length > 0)
    throw new ManagementProblem(
      403,
      'scope_not_allowed',
      `This key holds scopes you cannot grant here (${beyond.map((s) => s.slice(0, 100)).join(', ')}), so it cannot be ${action} here. ` +
        'You can narrow its scopes, disable, revoke or delete it.',
    )
}
