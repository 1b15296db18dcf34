import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

export interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Run the built `keyward` command as a subprocess. */
export function keyward(args: string[], options: { env?: Record<string, string>; cwd?: string; input?: string } = {}): Run {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    cwd: options.cwd ?? process.cwd(),
    input: options.input ?? '',
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...options.env },
    timeout: 20_000,
  })
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr }
}

export const KEY_RE = /^[a-z][a-z0-9_]*_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/
