import { fileURLToPath, pathToFileURL } from 'node:url'
import { defineProject, type ViteUserConfig } from 'vitest/config'

/**
 * What every project's vitest config shares. Workspace packages resolve to their TypeScript
 * sources (the `@keyward/source` export condition), so a test runs on what was just edited with
 * no build in between (the packaging tests check the built output on their own), and every test
 * file runs under the suite-wide secret check.
 */
const conditions = ['@keyward/source', 'module', 'node', 'development|production']

export const sourceResolution = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@keyward/source'] } },
}

/**
 * `NODE_OPTIONS` for the Node processes tests start (the CLI, example servers, other instances):
 * the same source resolution, with tsx to load the TypeScript. Set in every test worker's
 * environment, so children inherit it; a test that passes its own `env` passes this along.
 */
export const sourceNodeOptions = `--conditions=@keyward/source --import=${pathToFileURL(fileURLToPath(new URL('./node_modules/tsx/dist/loader.mjs', import.meta.url))).href}`

type TestOptions = NonNullable<ViteUserConfig['test']>

/** A project of this workspace: `name`, tests under `test/`, source resolution, the secret check. */
export function keywardProject(name: string, test: Omit<TestOptions, 'name'> = {}) {
  return defineProject({
    ...sourceResolution,
    test: {
      name,
      include: ['test/**/*.test.ts'],
      setupFiles: [fileURLToPath(new URL('./test/secret-capture.ts', import.meta.url))],
      ...test,
      env: { NODE_OPTIONS: sourceNodeOptions, ...test.env },
    },
  })
}
