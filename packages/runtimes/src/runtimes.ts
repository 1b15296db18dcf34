/**
 * The JavaScript runtimes the tests start, each from its npm package (no download at run time):
 * Bun (`@oven/bun-linux-x64`), Deno (`@deno/linux-x64-glibc`), workerd (through `miniflare`).
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { build } from 'esbuild'

const require = createRequire(import.meta.url)

/** The Bun binary of the npm platform package. */
export const BUN = join(dirname(require.resolve('@oven/bun-linux-x64/package.json')), 'bin', 'bun')
/** The Deno binary of the npm platform package. */
export const DENO = join(dirname(require.resolve('@deno/linux-x64-glibc/package.json')), 'deno')

/**
 * Bundle `entry` into one ES module any of the runtimes loads (workspace packages from their
 * TypeScript sources), written to `outfile`.
 */
export async function bundle(entry: string, outfile: string, options: { minify?: boolean } = {}): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['@keyward/source', 'workerd', 'worker', 'browser', 'import'],
    mainFields: ['module', 'main'],
    logLevel: 'silent',
    minify: options.minify ?? false,
  })
}

/** Environment for a Deno child: no update check, its cache in `dir`. */
export function denoEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, NODE_OPTIONS: '', DENO_DIR: join(dir, 'deno'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' }
}
