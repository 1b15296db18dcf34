import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('example-metrics', { testTimeout: 30_000 })
