import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('postgres', { globalSetup: ['../../scripts/vitest-postgres.ts'], testTimeout: 20_000, hookTimeout: 30_000 })
