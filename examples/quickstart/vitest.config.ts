import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('example-quickstart', { testTimeout: 30_000 })
