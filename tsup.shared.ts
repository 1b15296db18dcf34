import { defineConfig, type Options } from 'tsup'

/**
 * The build every library package shares: ESM + CJS + `.d.ts` from `src/index.ts`, for Node 20 and
 * the other runtimes (ES2022). Dependencies and peer dependencies stay external.
 */
export function libraryConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    ...overrides,
  })
}
