import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('example-express', { testTimeout: 30_000 })
