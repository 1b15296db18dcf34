import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'sqlite',
    include: ['test/**/*.test.ts'],
    setupFiles: ['../../test/secret-capture.ts'],
  },
})
