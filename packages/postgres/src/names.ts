/** Where the store's tables live. Names are checked when the store is built. */
export interface PgNames {
  schema: string
  table: string
}

/** A quoted identifier. */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`
/** A schema-qualified, quoted name. */
export const qualified = (names: PgNames, suffix = ''): string => `${ident(names.schema)}.${ident(names.table + suffix)}`

/** The channel every store notifies on; payloads are `schema.table:id`. */
export const CHANNEL = 'keyward_changes'
