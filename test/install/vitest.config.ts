import { keywardProject } from '../../vitest.shared.js'

// Slow on purpose: builds, packs, installs with npm into a scratch app, compiles it, serves HTTP.
export default keywardProject('install', {
  include: ['*.test.ts'],
  testTimeout: 120_000,
  hookTimeout: 600_000,
  globalSetup: ['../../scripts/vitest-services.ts'],
})
