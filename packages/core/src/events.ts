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
  /** On `key.verify_failed`: the client address the adapter passed, when any. */
  source?: string
}

/** Callbacks the host supplies. A hook that throws is ignored: it never breaks a request. */
export interface KeywardHooks {
  onEvent?(event: KeywardEvent): void
}
