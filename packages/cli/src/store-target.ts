import { CliError } from './errors.js'

/** Where in a store the CLI works, as the stores' own options name it. */
export interface StoreLocation {
  /** The PostgreSQL schema, or the Redis key prefix. */
  namespace?: string
  /** The keys table (SQLite, PostgreSQL). */
  table?: string
}

/** What the user asked for: `--namespace`, `--schema` (PostgreSQL's word for it) and `--table`. */
export interface LocationFlags {
  namespace?: string | undefined
  schema?: string | undefined
  table?: string | undefined
}

/** One value from two places that must agree, or a clear error naming both. */
function agree(a: [string, string | undefined], b: [string, string | undefined]): string | undefined {
  if (a[1] !== undefined && b[1] !== undefined && a[1] !== b[1]) throw new CliError(`${a[0]} and ${b[0]} disagree: give one of them`)
  return a[1] ?? b[1]
}

/**
 * A PostgreSQL URL without its `schema` query parameter (Prisma's and others' way to name the
 * schema, which `pg` ignores), and that schema. A URL that does not parse is left to `pg` to report.
 */
function splitPostgresSchema(url: string): { url: string; schema: string | undefined } {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { url, schema: undefined }
  }
  const schema = parsed.searchParams.get('schema') ?? undefined
  if (schema === undefined) return { url, schema }
  parsed.searchParams.delete('schema')
  return { url: parsed.toString(), schema }
}

/**
 * The URL to open and the store options for the location the user named. `--schema` is the
 * PostgreSQL name for `--namespace`; a PostgreSQL URL's `?schema=` names it too. An option the
 * store does not have (a SQLite namespace, a Redis table) is refused rather than ignored.
 */
export function storeTarget(url: string, flags: LocationFlags): { url: string; location: StoreLocation } {
  const scheme = /^([a-z]+):/.exec(url)?.[1]
  const postgres = scheme === 'postgres' || scheme === 'postgresql'
  if (flags.schema !== undefined && !postgres)
    throw new CliError('--schema names a PostgreSQL schema; for Redis use --namespace (the key prefix), for SQLite --table')
  let namespace = agree(['--namespace', flags.namespace], ['--schema', flags.schema])
  let target = url
  if (postgres) {
    const split = splitPostgresSchema(url)
    target = split.url
    namespace = agree(['--namespace', namespace], ['the store URL\'s "schema"', split.schema])
  }
  if (namespace !== undefined && scheme === 'sqlite')
    throw new CliError('a SQLite store has no namespace (the file is one): use --table to choose the keys table')
  if (flags.table !== undefined && (scheme === 'redis' || scheme === 'rediss'))
    throw new CliError('a Redis store has no tables: use --namespace to choose the key prefix (default keyward:)')
  return {
    url: target,
    location: { ...(namespace !== undefined && { namespace }), ...(flags.table !== undefined && { table: flags.table }) },
  }
}
