import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('example-demo', { testTimeout: 60_000, hookTimeout: 60_000 })
