import type { AuditActor } from './analytics-types.js'
import type { VerifyFailureCode } from './verify-result.js'

/** What happened, for audit logs and metrics. */
export type KeywardEventType =
  | 'key.created'
  | 'key.verified'
  | 'key.verify_failed'
  | 'key.updated'
  | 'key.disabled'
  | 'key.enabled'
  | 'key.revoked'
  | 'key.rotated'
  | 'key.deleted'
  | 'key.digest_upgraded'
  | 'key.leaked'
  | 'key.imported'
  | 'key.expiring_soon'
  | 'key.unused'
  | 'key.credits_low'
  | 'key.used_after_rotation'
  | 'key.auth_failures'
  | 'owner.updated'
  | 'store.error'

/**
 * An audit event. It carries the key id (public) and never the key, its secret or its digest.
 */
export interface KeywardEvent {
  type: KeywardEventType
  at: Date
  /** The key concerned, when known. On `key.verify_failed` this is the id the caller presented. */
  keyId?: string
  ownerId?: string | null
  /** On `key.verify_failed`: why. */
  code?: VerifyFailureCode
  /** On `key.rotated`: the successor's id. */
  successorId?: string
  /** On `store.error`: which operation failed (`verify`, `last_used`, `subscribe`, …). */
  operation?: string
  /** On `store.error`: what the store said, with credentials, digests and token-like text removed. */
  cause?: string
  /**
   * On `key.verify_failed` and `key.used_after_rotation`: the client address the adapter passed,
   * when any.
   */
  source?: string
  /** On changes: who made them, as the mutation's `{ actor }` named them. */
  actor?: AuditActor
  /** On `key.expiring_soon`: when the key expires. */
  expiresAt?: Date
  /** On `key.unused`: when the key was last used (null: never). */
  lastUsedAt?: Date | null
  /** On `key.credits_low`: the credits left. */
  creditsRemaining?: number
  /** On `key.auth_failures`: wrong secrets presented for the key id in the hour from `windowStart`. */
  failures?: number
  windowStart?: Date
  /** On `key.leaked`: where the key was found, when known. */
  url?: string
}

/** Callbacks the host supplies. A hook that throws is ignored: it never breaks a request. */
export interface KeywardHooks {
  onEvent?(event: KeywardEvent): void
}
