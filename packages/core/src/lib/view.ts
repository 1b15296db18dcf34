import type { ApiKeyRecord, ApiKeyStatus } from '../types.js'

/** The state of a record at `now`. */
export function statusOf(record: ApiKeyRecord, now: number): ApiKeyStatus {
  if (record.revokedAt !== null) return 'revoked'
  if (record.disabledAt !== null) return 'disabled'
  if (record.expiresAt !== null && record.expiresAt.getTime() <= now) return 'expired'
  return 'active'
}

/** Freeze an object graph (Dates excepted), so a shared view cannot be changed by a caller. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const item of Object.values(value)) deepFreeze(item)
  }
  return value
}
