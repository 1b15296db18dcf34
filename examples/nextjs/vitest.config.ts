import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('example-nextjs')
