import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('example-fastify', { testTimeout: 30_000 })
