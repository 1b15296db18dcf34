import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { KeywardOptions } from '@keyward/core'
import { CliError } from './errors.js'

/** What `keyward.config.json` may hold. Secrets are better kept in the environment. */
export interface ConfigFile {
  store?: string
  prefix?: string
  pepper?: string
  peppers?: { current: string; secrets: Record<string, string> }
}

export interface GlobalFlags {
  store?: string | undefined
  prefix?: string | undefined
  'pepper-file'?: string | undefined
  config?: string | undefined
}

export interface ResolvedConfig {
  store: string | undefined
  prefix: string | undefined
  peppers: Pick<KeywardOptions, 'pepper' | 'peppers'>
}

function readConfigFile(path: string): ConfigFile {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new CliError(`cannot read config file ${path}: ${(error as Error).message}`)
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError(`config file ${path} must hold a JSON object`)
  return parsed as ConfigFile
}

/** Flags win over the environment (`KEYWARD_STORE`, `KEYWARD_PREFIX`, `KEYWARD_PEPPER`), which wins over the config file. */
export function resolveConfig(flags: GlobalFlags, env: NodeJS.ProcessEnv, cwd: string): ResolvedConfig {
  const configPath = flags.config ?? env.KEYWARD_CONFIG ?? (existsSync(resolve(cwd, 'keyward.config.json')) ? 'keyward.config.json' : undefined)
  const file = configPath ? readConfigFile(resolve(cwd, configPath)) : {}
  const pepperFromFile = flags['pepper-file'] ? readFileSync(resolve(cwd, flags['pepper-file']), 'utf8').trim() : undefined
  const pepper = pepperFromFile ?? env.KEYWARD_PEPPER ?? file.pepper
  return {
    store: flags.store ?? env.KEYWARD_STORE ?? file.store,
    prefix: flags.prefix ?? env.KEYWARD_PREFIX ?? file.prefix,
    peppers: pepper !== undefined ? { pepper } : file.peppers ? { peppers: file.peppers } : {},
  }
}
