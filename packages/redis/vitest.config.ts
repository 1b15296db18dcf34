import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'redis',
    include: ['test/**/*.test.ts'],
    setupFiles: ['../../test/secret-capture.ts'],
    globalSetup: ['../../scripts/vitest-redis.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
})
