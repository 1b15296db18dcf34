import { defineConfig, type Options } from 'tsup'

const shared: Options = {
  dts: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['vitest', '@noble/hashes', '@keyward/core'],
}

export default defineConfig([
  { ...shared, entry: ['src/index.ts'], format: ['esm', 'cjs'], clean: true },
  // The conformance suite runs inside vitest, which is ESM-only.
  { ...shared, entry: ['src/testing.ts'], format: ['esm'] },
])
