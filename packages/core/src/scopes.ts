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

/** Every one of `required` that `granted` does not cover, in the order required (empty when all are). */
export function missingScopes(granted: readonly string[], required: readonly string[]): string[] {
  return required.filter((scope) => !scopeGranted(granted, scope))
}

/**
 * The scopes a request needs: every one of a list (`['a', 'b']` or `{ allOf: ['a', 'b'] }`), or at
 * least one of them (`{ anyOf: ['a', 'b'] }`).
 */
export type ScopeRequirement<S extends string = string> = readonly S[] | { readonly anyOf: readonly S[] } | { readonly allOf: readonly S[] }

/** A checked requirement: `all` of `scopes`, or `any` one of them. */
export interface CheckedRequirement {
  mode: 'all' | 'any'
  scopes: readonly string[]
}

const NO_REQUIREMENT: CheckedRequirement = Object.freeze({ mode: 'all', scopes: Object.freeze([]) as readonly string[] })

function checkedList(value: unknown, what: string): readonly string[] {
  if (!Array.isArray(value)) throw new TypeError(`${what} must be an array of scope strings, got ${describe(value)}`)
  for (const scope of value)
    if (!isValidScope(scope)) throw new TypeError(`${what} must hold scope strings matching ^[a-z0-9_.:*-]+$ (at most 100 characters)`)
  return value
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? `an instance of ${Object.getPrototypeOf(value)?.constructor?.name ?? 'Object'}` : typeof value
}

/**
 * Check the shape of a scope requirement. A requirement in any other shape (a `Set`, `null`, an
 * object with other keys, non-scope strings) is a programming error: it throws a `TypeError` at the
 * call rather than being read as "no requirement", so a mistake can never grant access.
 */
export function checkScopeRequirement(value: unknown): CheckedRequirement {
  if (value === undefined) return NO_REQUIREMENT
  if (Array.isArray(value)) return { mode: 'all', scopes: checkedList(value, 'scopes') }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value)
    if (keys.length === 1 && (keys[0] === 'anyOf' || keys[0] === 'allOf')) {
      const list = checkedList((value as Record<string, unknown>)[keys[0]], `scopes.${keys[0]}`)
      if (list.length === 0) throw new TypeError(`scopes.${keys[0]} must name at least one scope`)
      return { mode: keys[0] === 'anyOf' ? 'any' : 'all', scopes: list }
    }
  }
  throw new TypeError(`scopes must be an array of scopes, { anyOf: [...] } or { allOf: [...] }, got ${describe(value)}`)
}

/**
 * The scopes of a requirement that `granted` leaves unmet: for `all`, every one not covered; for
 * `any`, none when one is covered, else all of them.
 */
export function unmetScopes(granted: readonly string[], requirement: CheckedRequirement): string[] {
  const missing = missingScopes(granted, requirement.scopes)
  return requirement.mode === 'any' && missing.length < requirement.scopes.length ? [] : missing
}

/**
 * The grants both lists allow: for each pair, the narrower one when one covers the other
 * (`contacts:*` and `contacts:read` → `contacts:read`; `*` and anything → that thing). Exact for this
 * grammar, since every grant is one scope, a namespace prefix or everything.
 */
function intersectGrants(a: readonly string[], b: readonly string[]): string[] {
  const both = new Set<string>()
  for (const x of a)
    for (const y of b) {
      if (scopeGranted([x], y)) both.add(y)
      else if (scopeGranted([y], x)) both.add(x)
    }
  return [...both]
}

/** Role name → the scopes it grants, from `createKeyward({ roles })`. */
export type RoleTable = ReadonlyMap<string, readonly string[]>

/**
 * What a key may do: its own scopes ∪ those of its roles (a role no longer configured grants
 * nothing), and ∩ its owner's scopes when the owner has any.
 */
export function effectiveScopes(
  own: readonly string[],
  roles: readonly string[],
  table: RoleTable,
  ownerScopes: readonly string[] | null,
): string[] {
  let granted: string[] = [...own]
  for (const role of roles) for (const scope of table.get(role) ?? []) if (!granted.includes(scope)) granted.push(scope)
  if (ownerScopes !== null) granted = intersectGrants(granted, ownerScopes)
  return granted
}
