import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('example-koa', { testTimeout: 30_000 })
