/** Old option names already warned about in this process (shared by every copy of every store package). */
const warned: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for('keyward.renamed-options')] ??=
  new Set<string>()) as Set<string>

/**
 * For a store's constructor: `options` with each old option name (a key of `renames`) carried over to the new names it maps
 * to, for those not given; a `console.warn` once per process per old name. An old name whose new
 * names are all given would be ignored: that is a `TypeError`.
 *
 * @example
 * options = renameOptions('RedisKeyStore', options, { prefix: ['namespace'], timeoutMs: ['requestTimeoutMs', 'managementTimeoutMs'] })
 */
export function renameOptions<T extends object>(store: string, options: T, renames: Record<string, readonly string[]>): T {
  const given = options as Record<string, unknown>
  const result: Record<string, unknown> = { ...given }
  for (const [old, names] of Object.entries(renames)) {
    if (given[old] === undefined) continue
    const missing = names.filter((name) => given[name] === undefined)
    const list = names.map((name) => `"${name}"`).join(', ')
    if (missing.length === 0) throw new TypeError(`${store}: pass ${list} only ("${old}" is the old name)`)
    for (const name of missing) result[name] = given[old]
    if (!warned.has(`${store}:${old}`)) {
      warned.add(`${store}:${old}`)
      console.warn(`${store}: the option "${old}" is deprecated and will be removed in the next release; use ${list}.`)
    }
  }
  return result as T
}
