import { defineProject } from 'vitest/config'

export default defineProject({
  test: { name: 'example-quickstart', include: ['test/**/*.test.ts'], setupFiles: ['../../test/secret-capture.ts'] },
})
