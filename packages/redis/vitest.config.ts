import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'redis',
    include: ['test/**/*.test.ts'],
    globalSetup: ['../../scripts/vitest-redis.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
})
