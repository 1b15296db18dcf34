import { createHash } from 'node:crypto'
import type { RedisClient } from './client.js'
import * as analyticsLua from './analytics-scripts.js'
import * as rulesLua from './rules-scripts.js'
import * as lua from './scripts.js'

/** The name of a Lua script of the store or its analytics. */
export type ScriptName = keyof typeof lua | keyof typeof analyticsLua | keyof typeof rulesLua

/** The Lua sources by name (a plain object: looked up by name on every call). */
const SCRIPTS: Record<ScriptName, string> = { ...lua, ...analyticsLua, ...rulesLua }
const SHAS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, source]) => [name, createHash('sha1').update(source).digest('hex')]),
) as Record<ScriptName, string>

/** EVALSHA, loading the script on the first NOSCRIPT. */
export async function evalScript<T>(redis: RedisClient, name: ScriptName, keys: string[], args: (string | number)[]): Promise<T> {
  try {
    return (await redis.evalsha(SHAS[name], keys.length, ...keys, ...args)) as T
  } catch (error) {
    if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error
    return (await redis.eval(SCRIPTS[name], keys.length, ...keys, ...args)) as T
  }
}
