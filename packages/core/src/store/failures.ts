import { KeywardError, StoreUnavailableError } from '../errors.js'

/**
 * The password of a connection string, as written and decoded (none when it has none or does not
 * parse): what {@link storeFailure} must take out of a driver's error.
 */
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
 * What a store operation rejects with: Keyward's own errors as they are, anything else (the
 * driver's) as the cause of a `StoreUnavailableError` that names the operation, with `secrets`
 * (the connection's password) taken out of the cause's message and stack.
 *
 * @example
 * try { return await this.pool.query(sql, values) } catch (error) { throw storeFailure('findById', error, urlPasswords(url)) }
 */
export function storeFailure(operation: string, error: unknown, secrets: readonly string[] = []): Error {
  if (error instanceof KeywardError) return error
  return new StoreUnavailableError(operation, {
    cause: withoutSecrets(
      error,
      secrets.filter((secret) => secret.length >= 4),
    ),
  })
}
