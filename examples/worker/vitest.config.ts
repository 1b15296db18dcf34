import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('example-worker', { testTimeout: 30_000 })
