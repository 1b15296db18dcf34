import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The pepper: `KEYWARD_PEPPER` when set, else a random one kept in the data folder (mode 0600) so
 * that keys keep working across restarts. Never printed.
 */
export function loadPepper(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.KEYWARD_PEPPER) return env.KEYWARD_PEPPER
  const file = join(dataDir, 'pepper')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  const pepper = randomBytes(32).toString('base64url')
  writeFileSync(file, `${pepper}\n`, { mode: 0o600, flag: 'wx' })
  return pepper
}
