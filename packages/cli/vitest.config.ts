import { keywardProject } from '../../vitest.shared.js'

// PostgreSQL and Redis: the CLI is tested against the real servers.
export default keywardProject('cli', { testTimeout: 30_000, hookTimeout: 60_000, globalSetup: ['../../scripts/vitest-services.ts'] })
