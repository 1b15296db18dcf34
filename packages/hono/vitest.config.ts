import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('hono', { typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' } })
