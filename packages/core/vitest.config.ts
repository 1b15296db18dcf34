import { defineProject } from 'vitest/config'
import { sourceResolution } from '../../vitest.shared.js'

export default defineProject({
  ...sourceResolution,
  test: {
    name: 'core',
    include: ['test/**/*.test.ts'],
    setupFiles: ['../../test/secret-capture.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
})
