import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('example-deno', { testTimeout: 30_000 })
