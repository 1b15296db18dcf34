import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('import-fixtures')
