import { KeywardError, type AnyKeywardError } from '@keyward/core'
import type { KeyStoreSchemaError } from '@keyward/core/store'

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

/** What to run about a schema the store refused. */
function schemaAdvice(error: KeyStoreSchemaError): string {
  // Too old or missing: core's message says to run the migrations (and which function prints them).
  if (error.code !== 'schema_too_new') return error.message
  return `the key store's schema is at version ${error.databaseVersion}, newer than this keyward CLI supports (${error.supportedVersion}): run npm install -g @keyward/cli@latest (or upgrade @keyward/cli in your project)`
}

/** The exit code and message for a Keyward error, by its class (`code` narrows to it). */
function describeKeywardError(error: AnyKeywardError): { exitCode: number; message: string } {
  switch (error.code) {
    case 'not_found':
      return { exitCode: EXIT.notFound, message: error.message }
    case 'invalid_input':
      // The message starts with the field at fault (`scopes[0]: …`).
      return { exitCode: EXIT.usage, message: error.message }
    case 'store_unavailable':
      // Core's message names the operation and the cause's message, credentials already taken out.
      return { exitCode: EXIT.storeUnavailable, message: error.message }
    case 'closed':
      return { exitCode: EXIT.storeUnavailable, message: error.message }
    case 'schema_missing':
    case 'schema_outdated':
    case 'schema_too_new':
      return { exitCode: EXIT.storeUnavailable, message: schemaAdvice(error) }
    case 'invalid_state':
    case 'conflict':
    case 'duplicate_id':
    case 'limit_exceeded':
      return { exitCode: EXIT.rejected, message: error.message }
    default: {
      const unknown: never = error
      return { exitCode: EXIT.storeUnavailable, message: (unknown as Error).message }
    }
  }
}

/** The exit code and message for any error a command threw. */
export function describeError(error: unknown): { exitCode: number; message: string } {
  if (error instanceof CliError) return { exitCode: error.exitCode, message: error.message }
  if (error instanceof KeywardError) return describeKeywardError(error as AnyKeywardError)
  if (error instanceof TypeError || error instanceof RangeError) return { exitCode: EXIT.usage, message: error.message }
  return { exitCode: EXIT.storeUnavailable, message: `unexpected error: ${(error as Error)?.message ?? String(error)}` }
}
