import { keywardProject } from '../../vitest.shared.js'

// PostgreSQL and Redis: the CLI is tested against the real servers. Tests spawn the CLI (about a second
// each on TypeScript sources), some twenty times in one test: hence the long timeout.
export default keywardProject('cli', { testTimeout: 90_000, hookTimeout: 60_000, globalSetup: ['../../scripts/vitest-services.ts'] })
