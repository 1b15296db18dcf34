import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { KeyFormat } from '@keyward/core'

/** The CLI's source entry: tests run what was just edited (NODE_OPTIONS carries tsx and the source condition). */
export const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))

export interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Run the `keyward` command as a subprocess. */
export function keyward(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; input?: string; timeout?: number } = {},
): Run {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    cwd: options.cwd ?? process.cwd(),
    input: options.input ?? '',
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', NODE_OPTIONS: process.env.NODE_OPTIONS ?? '', ...options.env },
    timeout: options.timeout ?? 20_000,
  })
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr }
}

export const KEY_RE = /^[a-z][a-z0-9_]*_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/

const FORMAT = new KeyFormat({ prefix: 'acme_live' })

/** A fresh key of the `acme_live` deployment, minted in this process (so the suite's secret check watches it). */
export function mintKey(): string {
  return FORMAT.generate((length) => randomBytes(length)).key
}

/** The display form `keyward scan` prints for `key`. */
export function shown(key: string): string {
  return FORMAT.redactKey(key)
}

/** The output of a run, which must hold no fragment of any of `keys`' secrets. */
export function expectNoSecret(run: Run, keys: string[]): void {
  for (const key of keys)
    for (let i = key.length - 38; i + 8 <= key.length - 6; i++)
      if ((run.stdout + run.stderr).includes(key.slice(i, i + 8)))
        throw new Error(`output holds a fragment of a key's secret: ${shown(key)}`)
}
