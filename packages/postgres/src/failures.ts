import { ClosedError, DuplicateKeyIdError, InvalidInputError, KeyStoreSchemaError, StoreUnavailableError } from '@keyward/core/store'

/** The password of a connection string, as written and decoded (none when it has none or does not parse). */
export function urlPasswords(url: string | undefined): string[] {
  try {
    const { password } = new URL(url ?? '')
    return password ? [password, decodeURIComponent(password)] : []
  } catch {
    return []
  }
}

/** `error` with each of `secrets` taken out of its message and stack, and out of its causes and the errors it aggregates. */
function withoutSecrets(error: unknown, secrets: readonly string[], depth = 0): unknown {
  if (!(error instanceof Error) || depth > 4) return error
  for (const secret of secrets) {
    error.message = error.message.split(secret).join('***')
    if (error.stack !== undefined) error.stack = error.stack.split(secret).join('***')
  }
  withoutSecrets(error.cause, secrets, depth + 1)
  if (error instanceof AggregateError) for (const inner of error.errors) withoutSecrets(inner, secrets, depth + 1)
  return error
}

/**
 * What an operation rejects with: the store's own errors as they are, anything else (the driver's)
 * as the cause of a `StoreUnavailableError` that names the operation, with `secrets` (the
 * connection's password) taken out of the cause's message and stack.
 */
export function storeFailure(operation: string, error: unknown, secrets: readonly string[] = []): Error {
  if (
    error instanceof ClosedError ||
    error instanceof DuplicateKeyIdError ||
    error instanceof InvalidInputError ||
    error instanceof KeyStoreSchemaError ||
    error instanceof StoreUnavailableError
  )
    return error
  return new StoreUnavailableError(operation, {
    cause: withoutSecrets(
      error,
      secrets.filter((secret) => secret.length >= 4),
    ),
  })
}
