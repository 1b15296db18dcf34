import { keywardProject } from '../../vitest.shared.js'

export default keywardProject('webhooks')
