export { createKeyward } from './keyward.js'
export type {
  CreateKeyInput,
  CreatedKey,
  Keyward,
  KeywardOptions,
  ListOptions,
  RotateOptions,
  UpdateKeyInput,
  VerifyOptions,
} from './api.js'
export { MemoryKeyStore } from './memory-store.js'
export { KeyFormat, MAX_KEY_LENGTH, type KeyFormatOptions, type ParsedKey } from './format.js'
export { isValidScope, scopeGranted, missingScope, missingScopes, type ScopeRequirement } from './scopes.js'
export { encodeCursor, decodeCursor, type ListPosition } from './store/cursor.js'
export { failureMessage } from './verify-result.js'
export type { VerifyFailure, VerifyFailureCode, VerifyResult, VerifySuccess } from './verify-result.js'
export type { KeywardEvent, KeywardEventType, KeywardHooks } from './events.js'
export {
  ClosedError,
  ConflictError,
  DuplicateKeyIdError,
  InvalidInputError,
  InvalidStateError,
  KeyNotFoundError,
  KeywardError,
  StoreUnavailableError,
  type AnyKeywardError,
  type KeywardErrorCode,
} from './errors.js'
export {
  authenticateRequest,
  conflictingCredentialsResponse,
  extractCredential,
  insufficientScopeResponse,
  missingCredentialsResponse,
  assertScopes,
  problemJson,
  rateLimitHeaders,
  requireScopesResponse,
  resolveHttpAuthOptions,
  verifyFailureResponse,
  type Credential,
  type HttpAuthConfig,
  type HttpAuthOptions,
  type HttpAuthResult,
  type HttpFailureHook,
  type HttpFailureResponse,
  type HttpProblemCode,
  type ProblemBody,
} from './http/index.js'
export type {
  ApiKeyInfo,
  ApiKeyPatch,
  ApiKeyRecord,
  ApiKeyStatus,
  Credits,
  DigestAlgorithm,
  JsonValue,
  KeyChange,
  KeyStore,
  LastUsedEntry,
  Metadata,
  RateLimit,
  ScopeGrant,
  StoreListPage,
  StoreListQuery,
} from './types.js'
export {
  derToRawSignature,
  secretScanningHandler,
  type LeakReport,
  type SecretScanningMatch,
  type SecretScanningOptions,
  type SecretScanningPublicKey,
  type SecretScanningRequest,
  type SecretScanningResponse,
} from './secret-scanning.js'
export { spendFromCredits, counterWindow } from './credits.js'
export type { ThrottleOptions } from './limits.js'
export type { RateLimitState } from './verify-result.js'
export type { CounterState, CreditSpend } from './types.js'
export { KeyStoreSchemaError, type SchemaErrorCode } from './store/schema-error.js'
export { escapeLogValue, setDefaultLogger, type KeywardLogger, type LogEntry } from './logging.js'
