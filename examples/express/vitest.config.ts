import { defineProject } from 'vitest/config'

export default defineProject({
  test: { name: 'example-express', include: ['test/**/*.test.ts'], setupFiles: ['../../test/secret-capture.ts'], testTimeout: 30_000 },
})
