import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { CliError } from './errors.js'
import type { LocationFlags } from './store-target.js'

/** What `keyward.config.json` may hold. Secrets are better kept in the environment. */
interface ConfigFile {
  store?: string
  /** The PostgreSQL schema or the Redis key prefix. */
  namespace?: string
  /** The keys table (SQLite, PostgreSQL). */
  table?: string
  prefix?: string
  pepper?: string
  peppers?: { current: string; secrets: Record<string, string> }
  /** How keys imported from another system start (`createKeyward({ legacy })` of your servers). */
  legacy?: { prefixes?: string[] }
}

export interface GlobalFlags {
  store?: string | undefined
  namespace?: string | undefined
  schema?: string | undefined
  table?: string | undefined
  prefix?: string | undefined
  'pepper-file'?: string | undefined
  config?: string | undefined
  'legacy-prefix'?: string[] | undefined
}

export interface ResolvedConfig {
  store: string | undefined
  /** Where in the store: `--namespace`/`--schema`/`--table`, their environment variables or the file. */
  location: LocationFlags
  prefix: string | undefined
  peppers: { pepper?: string; peppers?: never } | { pepper?: never; peppers?: NonNullable<ConfigFile['peppers']> }
  /** `--legacy-prefix` flags, else the config file's `legacy.prefixes`; empty for none. */
  legacyPrefixes: string[]
}

/** Where in `text` a JSON parse error points, as `line L, column C`, without quoting any of it. */
function jsonErrorPlace(error: unknown, text: string): string {
  const position = Number(/at position (\d+)/.exec((error as Error).message)?.[1] ?? NaN)
  if (!Number.isInteger(position)) return 'not valid JSON'
  const before = text.slice(0, position)
  const line = before.split('\n').length
  return `not valid JSON (line ${line}, column ${position - before.lastIndexOf('\n')})`
}

/** The text of a file the user pointed at; an error names the file and the failure code, never the content. */
function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new CliError(`cannot read ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
}

function readConfigFile(path: string): ConfigFile {
  const text = readTextFile(path, 'config file')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    // JSON.parse's message quotes the input, which may be the pepper: say only where it broke.
    throw new CliError(`config file ${path} is ${jsonErrorPlace(error, text)}`)
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError(`config file ${path} must hold a JSON object`)
  return parsed as ConfigFile
}

/**
 * Flags win over the environment (`KEYWARD_STORE`, `KEYWARD_NAMESPACE`, `KEYWARD_TABLE`, `KEYWARD_PREFIX`,
 * `KEYWARD_PEPPER`), which wins over the config file.
 */
export function resolveConfig(flags: GlobalFlags, env: NodeJS.ProcessEnv, cwd: string): ResolvedConfig {
  const configPath =
    flags.config ?? env.KEYWARD_CONFIG ?? (existsSync(resolve(cwd, 'keyward.config.json')) ? 'keyward.config.json' : undefined)
  const file = configPath ? readConfigFile(resolve(cwd, configPath)) : {}
  const pepperFromFile = flags['pepper-file'] ? readTextFile(resolve(cwd, flags['pepper-file']), 'pepper file').trim() : undefined
  const pepper = pepperFromFile ?? env.KEYWARD_PEPPER ?? file.pepper
  return {
    store: flags.store ?? env.KEYWARD_STORE ?? file.store,
    location: {
      namespace: flags.namespace ?? (flags.schema === undefined ? (env.KEYWARD_NAMESPACE ?? file.namespace) : undefined),
      schema: flags.schema,
      table: flags.table ?? env.KEYWARD_TABLE ?? file.table,
    },
    prefix: flags.prefix ?? env.KEYWARD_PREFIX ?? file.prefix,
    peppers: pepper !== undefined ? { pepper } : file.peppers ? { peppers: file.peppers } : {},
    legacyPrefixes: flags['legacy-prefix'] ?? file.legacy?.prefixes ?? [],
  }
}
