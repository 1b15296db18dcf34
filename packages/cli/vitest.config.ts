import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('cli', { testTimeout: 30_000, hookTimeout: 60_000, globalSetup: ['../../scripts/vitest-postgres.ts'] })
