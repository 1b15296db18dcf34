import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'core',
    include: ['test/**/*.test.ts'],
    setupFiles: ['../../test/secret-capture.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
})
