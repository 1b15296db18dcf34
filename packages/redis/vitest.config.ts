import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('redis', { globalSetup: ['../../scripts/vitest-redis.ts'], testTimeout: 20_000, hookTimeout: 30_000 })
