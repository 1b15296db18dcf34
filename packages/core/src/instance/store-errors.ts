import { KeywardError, StoreUnavailableError } from '../errors.js'

/** By code, not class: a store may bundle its own copy of `DuplicateKeyIdError`. */
export function isDuplicateId(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'duplicate_id'
}

/** A store failure as a KeywardError: Keyward's own errors pass through, anything else is `store_unavailable`. */
export function toStoreError(operation: string, error: unknown): KeywardError {
  return error instanceof KeywardError ? error : new StoreUnavailableError(operation, { cause: error })
}
