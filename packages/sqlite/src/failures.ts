import { ClosedError, DuplicateKeyIdError, InvalidInputError, KeyStoreSchemaError, StoreUnavailableError } from '@keyward/core/store'

/**
 * What an operation rejects with: the store's own errors as they are, anything else (the driver's)
 * as the cause of a `StoreUnavailableError` that names the operation.
 */
export function storeFailure(operation: string, error: unknown): Error {
  if (
    error instanceof ClosedError ||
    error instanceof DuplicateKeyIdError ||
    error instanceof InvalidInputError ||
    error instanceof KeyStoreSchemaError ||
    error instanceof StoreUnavailableError
  )
    return error
  return new StoreUnavailableError(operation, { cause: error })
}
