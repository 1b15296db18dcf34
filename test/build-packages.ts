import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const workspace = fileURLToPath(new URL('..', import.meta.url))
const LOCK = join(workspace, 'node_modules', '.cache', 'keyward-build.lock')

/** Node as an application runs it: no source condition, no tsx. */
export function plainEnv(): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _sourceOptions, ...env } = process.env
  return env
}

/**
 * Build the packages named (`core`, `express`, …; default every one under packages/) for the tests
 * that check the published output (core's packaging test, test/install). They run at the same time
 * in one vitest run, so a lock directory lets one build while the others wait, and a package whose
 * every `dist` file is newer than its sources is not built again.
 */
export async function buildPackages(names: readonly string[] = readdirSync(join(workspace, 'packages'))): Promise<void> {
  mkdirSync(join(LOCK, '..'), { recursive: true })
  while (!tryLock()) await new Promise((resolve) => setTimeout(resolve, 500))
  try {
    const stale = names.filter((name) => !builtUpToDate(name))
    if (stale.length > 0) {
      const filters = stale.flatMap((name) => ['--filter', `./packages/${name}`])
      execFileSync('pnpm', ['-r', ...filters, '--if-present', 'run', 'build'], { cwd: workspace, env: plainEnv(), stdio: 'pipe' })
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true })
  }
}

function tryLock(): boolean {
  try {
    mkdirSync(LOCK)
    writeFileSync(join(LOCK, 'pid'), String(process.pid))
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  // A lock whose holder is gone (a killed run) is taken over.
  let holder = Number.NaN
  try {
    holder = Number(readFileSync(join(LOCK, 'pid'), 'utf8'))
  } catch {}
  const stale = Number.isNaN(holder) ? Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > 60_000 : !alive(holder)
  if (stale) rmSync(LOCK, { recursive: true, force: true })
  return false
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The package has no build, or its oldest `dist` file is newer than its newest source, package.json or build config. */
function builtUpToDate(name: string): boolean {
  const dir = join(workspace, 'packages', name)
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts?: { build?: string } }
  if (manifest.scripts?.build === undefined) return true
  const inputs = [...files(join(dir, 'src')), join(dir, 'package.json'), join(dir, 'tsup.config.ts'), join(workspace, 'tsup.shared.ts')]
  const outputs = files(join(dir, 'dist'))
  if (outputs.length === 0) return false
  const newestInput = Math.max(...inputs.map((f) => statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0))
  return Math.min(...outputs.map((f) => statSync(f).mtimeMs)) > newestInput
}

function files(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((f) => join(dir, f))
      .filter((f) => statSync(f).isFile())
  } catch {
    return []
  }
}
