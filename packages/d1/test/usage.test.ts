import { runUsageExactness } from '@keyward/core/testing'
import { describe } from 'vitest'
import { remoteStore } from './remote.js'

describe('D1KeyStore usage', () => {
  // One table; each instance (two verifying, then a reader) on a D1KeyStore of its own, as isolates would open them.
  // 200,000 verifications, not the default 1,000,000: every store call crosses into workerd over
  // HTTP, so the full run took ~110 s, past CI's budget. @keyward/sqlite runs the full 1,000,000 on
  // the same SQL (the usage upsert shared through @keyward/core/store).
  runUsageExactness('D1KeyStore (inside workerd)', { open: () => remoteStore('usage_exact'), verifications: 200_000 })
})
