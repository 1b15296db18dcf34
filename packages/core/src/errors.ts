import { causeText } from './lib/cause-text.js'
import type { KeyStoreSchemaError } from './store/schema-error.js'

/**
 * Every error Keyward throws on purpose is a {@link KeywardError} with a stable `code`, so callers
 * can `switch (err.code)` instead of matching messages. Messages never contain a key, a digest or a
 * pepper: at most a key id, which is public.
 *
 * Mistakes in configuration (a bad prefix, a short pepper) are `TypeError`/`RangeError`s thrown when
 * the instance is built. `verify` never throws: it returns a failure result.
 */
export type KeywardErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'invalid_state'
  | 'conflict'
  | 'duplicate_id'
  | 'limit_exceeded'
  | 'store_unavailable'
  | 'closed'
  | 'schema_missing'
  | 'schema_outdated'
  | 'schema_too_new'

/**
 * Base class of every Keyward error. Each subclass narrows `code`, so with {@link AnyKeywardError}
 * a `switch (error.code)` narrows to the class and its fields.
 *
 * @example
 * try { await keyward.revoke(id) } catch (error) {
 *   if (!(error instanceof KeywardError)) throw error
 *   const known = error as AnyKeywardError
 *   switch (known.code) {
 *     case 'not_found': return reply(404, known.keyId)
 *     case 'invalid_input': return reply(400, known.field)
 *   }
 * }
 */
export class KeywardError<C extends KeywardErrorCode = KeywardErrorCode> extends Error {
  /** Stable machine-readable code. */
  readonly code: C
  static readonly code: KeywardErrorCode | undefined

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** An argument failed validation (name, scopes, metadata, dates, limits). Nothing was written. */
export class InvalidInputError extends KeywardError<'invalid_input'> {
  static override readonly code = 'invalid_input' as const
  /** The argument at fault, for example `name` or `scopes[2]`. */
  readonly field: string
  constructor(field: string, message: string) {
    super('invalid_input', `${field}: ${message}`)
    this.field = field
  }
}

/** No key with this id exists in the store. */
export class KeyNotFoundError extends KeywardError<'not_found'> {
  static override readonly code = 'not_found' as const
  readonly keyId: string
  constructor(keyId: string) {
    super('not_found', `No API key with id "${keyId}".`)
    this.keyId = keyId
  }
}

/** The key is in a state that forbids the operation, such as enabling a revoked key. */
export class InvalidStateError extends KeywardError<'invalid_state'> {
  static override readonly code = 'invalid_state' as const
  readonly keyId: string
  constructor(keyId: string, message: string) {
    super('invalid_state', message)
    this.keyId = keyId
  }
}

/** A concurrent change won: for example another rotation of the same key finished first. */
export class ConflictError extends KeywardError<'conflict'> {
  static override readonly code = 'conflict' as const
  readonly keyId: string
  constructor(keyId: string, message: string) {
    super('conflict', message)
    this.keyId = keyId
  }
}

/** A store refused an insert because a record with this id already exists. Thrown by stores. */
export class DuplicateKeyIdError extends KeywardError<'duplicate_id'> {
  static override readonly code = 'duplicate_id' as const
  readonly keyId: string
  constructor(keyId: string) {
    super('duplicate_id', `An API key with id "${keyId}" already exists.`)
    this.keyId = keyId
  }
}

/** Creating the key would pass its owner's `maxKeys`. Thrown by stores; HTTP 409 in the management API. */
export class LimitExceededError extends KeywardError<'limit_exceeded'> {
  static override readonly code = 'limit_exceeded' as const
  readonly ownerId: string
  readonly maxKeys: number
  constructor(ownerId: string, maxKeys: number) {
    super('limit_exceeded', `Owner "${ownerId}" already has ${maxKeys} live API keys, the most it may hold. Revoke one first.`)
    this.ownerId = ownerId
    this.maxKeys = maxKeys
  }
}

/**
 * The store could not be reached or failed. The operation did not take effect through Keyward.
 * The message says why, from the store's own error (credentials, digests and token-like text
 * removed); the original error is `cause`.
 */
export class StoreUnavailableError extends KeywardError<'store_unavailable'> {
  static override readonly code = 'store_unavailable' as const
  /** Which operation failed: `verify`, `list`, `create`, `ready`, … */
  readonly operation: string
  constructor(operation: string, options?: { cause?: unknown }) {
    const why = options?.cause === undefined ? '' : `: ${causeText(options.cause)}`
    super('store_unavailable', `The key store failed during ${operation}${why}.`, options)
    this.operation = operation
  }
}

/** The instance was closed with `close()`. */
export class ClosedError extends KeywardError<'closed'> {
  static override readonly code = 'closed' as const
  /** @param subject what was closed: `'This Keyward instance'` by default, a store's name when a store throws it. */
  constructor(subject = 'This Keyward instance') {
    super('closed', `${subject} is closed.`)
  }
}

/** Every error class Keyward throws on purpose, as a union a `switch (error.code)` narrows. */
export type AnyKeywardError =
  | InvalidInputError
  | KeyNotFoundError
  | InvalidStateError
  | ConflictError
  | DuplicateKeyIdError
  | LimitExceededError
  | StoreUnavailableError
  | ClosedError
  | KeyStoreSchemaError
