/** Which endpoint of the key management API a path names, and the methods each endpoint allows. */

export type Route =
  | { kind: 'collection' }
  | { kind: 'owner' }
  | { kind: 'key'; id: string }
  | { kind: 'action'; id: string; action: KeyAction }
  | { kind: 'view'; id: string; view: KeyView }
export type KeyAction = 'disable' | 'enable' | 'revoke' | 'rotate'
/** Read-only views of one key: its usage chart data and its audit log. */
export type KeyView = 'usage' | 'activity'

const ACTIONS = new Set<string>(['disable', 'enable', 'revoke', 'rotate'])
const VIEWS = new Set<string>(['usage', 'activity'])

/** The `Allow` header of each endpoint. */
export const ALLOW: Record<Route['kind'], string> = {
  collection: 'GET, HEAD, POST',
  owner: 'GET, HEAD, PUT',
  key: 'GET, HEAD, PATCH, DELETE',
  action: 'POST',
  view: 'GET, HEAD',
}

/** `pathname` without `basePath` (`/api/keys`), or null when it lies outside it. */
function relative(pathname: string, basePath: string): string | null {
  if (basePath === '') return pathname
  if (!pathname.startsWith(basePath)) return null
  const rest = pathname.slice(basePath.length)
  return rest === '' || rest.startsWith('/') ? rest : null
}

/** The endpoint `pathname` names under `basePath`, or null for a path that is not the API's. */
export function route(pathname: string, basePath: string): Route | null {
  const path = relative(pathname, basePath)
  if (path === null) return null
  const parts = path.split('/').filter((part) => part !== '')
  if (parts.length === 0) return { kind: 'collection' }
  let id: string
  try {
    id = decodeURIComponent(parts[0]!)
  } catch {
    return null
  }
  // Key ids are 8 to 32 characters, so `owner` never names a key.
  if (parts.length === 1) return id === 'owner' ? { kind: 'owner' } : { kind: 'key', id }
  if (parts.length === 2 && ACTIONS.has(parts[1]!)) return { kind: 'action', id, action: parts[1] as KeyAction }
  if (parts.length === 2 && VIEWS.has(parts[1]!)) return { kind: 'view', id, view: parts[1] as KeyView }
  return null
}

export function methodAllowed(target: Route, method: string): boolean {
  return ALLOW[target.kind].split(', ').includes(method)
}
