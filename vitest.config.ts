import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Two test files at a time: most of them wait on servers and child processes, not the CPU (vitest's
    // default on a 2-core machine is one). Each file owns its ports, directories and namespaces.
    maxWorkers: 2,
    projects: ['packages/*', 'examples/*', 'test/install'],
  },
})
