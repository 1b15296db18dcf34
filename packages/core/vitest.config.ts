import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('core', { typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] } })
