import { defineConfig, type Options } from 'tsup'

const shared: Options = {
  dts: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['vitest', '@noble/hashes', /^@keyward\/core(\/.*)?$/],
}

// Two builds, run one after the other by the `build` script: the conformance suites import
// `@keyward/core` by name (so stores and the suites share one copy of the classes), and their
// declarations need the other entries' declarations to exist first.
export default defineConfig(
  process.env.KEYWARD_BUILD === 'testing'
    ? // vitest is ESM-only, and so are the suites.
      { ...shared, entry: { testing: 'src/testing/index.ts' }, format: ['esm'] }
    : {
        ...shared,
        entry: {
          index: 'src/index.ts',
          http: 'src/http/index.ts',
          store: 'src/store/index.ts',
          'secret-scanning': 'src/secret-scanning.ts',
          'slow-hashes': 'src/slow-hashes.ts',
        },
        format: ['esm', 'cjs'],
        // Shared chunks for CommonJS too: every entry must hand out the same error classes, or an
        // `instanceof` across `@keyward/core` and `@keyward/core/store` would fail under require.
        splitting: true,
        clean: true,
      },
)
