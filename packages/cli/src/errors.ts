import { KeywardError } from '@keyward/core'

/** Exit codes, stable for scripts. */
export const EXIT = {
  ok: 0,
  /** `verify` refused the key; `scan` found keys. */
  failed: 1,
  usage: 2,
  notFound: 3,
  storeUnavailable: 4,
  rejected: 5,
} as const

/** A user-facing error with an exit code. Messages never contain a key. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message)
    this.name = 'CliError'
  }
}

/** The exit code and message for any error a command threw. */
export function describeError(error: unknown): { exitCode: number; message: string } {
  if (error instanceof CliError) return { exitCode: error.exitCode, message: error.message }
  if (error instanceof KeywardError) {
    const exitCode =
      error.code === 'not_found'
        ? EXIT.notFound
        : error.code === 'store_unavailable'
          ? EXIT.storeUnavailable
          : error.code === 'invalid_input'
            ? EXIT.usage
            : EXIT.rejected
    return { exitCode, message: error.message }
  }
  if (error instanceof TypeError || error instanceof RangeError) return { exitCode: EXIT.usage, message: error.message }
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && /^(ECONN|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|28P01|3D000|NOAUTH)/.test(code))
    return { exitCode: EXIT.storeUnavailable, message: `cannot reach the key store (${code})` }
  if (typeof code === 'string' && code.startsWith('schema_')) return { exitCode: EXIT.storeUnavailable, message: (error as Error).message }
  return { exitCode: EXIT.storeUnavailable, message: `the key store failed: ${(error as Error)?.message ?? String(error)}` }
}
