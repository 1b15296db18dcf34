import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('example-hono', { testTimeout: 30_000 })
