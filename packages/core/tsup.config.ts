import { defineConfig, type Options } from 'tsup'

const shared: Options = {
  dts: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['vitest', '@noble/hashes', '@keyward/core'],
}

// Two builds, run one after the other by the `build` script: the conformance suite imports
// `@keyward/core` by name (so stores and the suite share one copy of the classes), and its
// declarations need the main entry's declarations to exist first.
export default defineConfig(
  process.env.KEYWARD_BUILD === 'testing'
    ? // vitest is ESM-only, and so is the suite.
      { ...shared, entry: ['src/testing.ts'], format: ['esm'] }
    : { ...shared, entry: ['src/index.ts'], format: ['esm', 'cjs'], clean: true },
)
