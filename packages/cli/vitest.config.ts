import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'cli',
    include: ['test/**/*.test.ts'],
    setupFiles: ['../../test/secret-capture.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['../../scripts/vitest-postgres.ts'],
  },
})
