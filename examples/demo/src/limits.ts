/**
 * The budget a key may have in this demo: the management API's caps (`limits`). A key created
 * without its own gets them; a user can lower them per key, never raise them.
 */
import type { KeyManagementLimits } from '@keyward/core/http'

export const DAY_MS = 86_400_000

/** At most 600 requests a minute and 10,000 credits a day per key. */
export const LIMITS = {
  maxRateLimit: { limit: 600, windowMs: 60_000 },
  maxCredits: { remaining: 10_000, refill: { amount: 10_000, intervalMs: DAY_MS } },
} satisfies KeyManagementLimits
