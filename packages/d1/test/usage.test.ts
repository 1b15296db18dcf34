import { runUsageExactness } from '@keyward/core/testing'
import { describe } from 'vitest'
import { remoteStore } from './remote.js'

describe('D1KeyStore usage', () => {
  // One table; each instance (two verifying, then a reader) on a D1KeyStore of its own, as isolates would open them.
  runUsageExactness('D1KeyStore (inside workerd)', { open: () => remoteStore('usage_exact') })
})
