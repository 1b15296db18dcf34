const SCOPE_RE = /^[a-z0-9_.:*-]+$/
const MAX_SCOPE_LENGTH = 100

/** Whether `scope` is a well-formed scope string (`^[a-z0-9_.:*-]+$`, at most 100 characters). */
export function isValidScope(scope: unknown): scope is string {
  return typeof scope === 'string' && scope.length <= MAX_SCOPE_LENGTH && SCOPE_RE.test(scope)
}

/**
 * Whether the granted scopes cover `required`: an exact match, `*`, or a namespace wildcard
 * (`contacts:*` covers `contacts:sync` and `contacts:sync:full`).
 */
export function scopeGranted(granted: readonly string[], required: string): boolean {
  for (const scope of granted) {
    if (scope === required || scope === '*') return true
    if (scope.endsWith(':*') && required.startsWith(scope.slice(0, -1))) return true
  }
  return false
}

/** The first of `required` that `granted` does not cover, or undefined when all are covered. */
export function missingScope(granted: readonly string[], required: readonly string[]): string | undefined {
  for (const scope of required) if (!scopeGranted(granted, scope)) return scope
  return undefined
}

/** Every one of `required` that `granted` does not cover, in the order required (empty when all are). */
export function missingScopes(granted: readonly string[], required: readonly string[]): string[] {
  return required.filter((scope) => !scopeGranted(granted, scope))
}
