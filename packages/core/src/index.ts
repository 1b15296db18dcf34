/**
 * `@keyward/core`: for application code. Create an instance, verify and manage keys, catch its
 * errors. Adapter authors: `@keyward/core/http`; store authors: `@keyward/core/store`; tests:
 * `@keyward/core/testing`; GitHub secret scanning: `@keyward/core/secret-scanning`.
 */
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
export { isValidScope, missingScopes, scopeGranted, type ScopeRequirement } from './scopes.js'
export { failureMessage } from './verify-result.js'
export type { RateLimitState, VerifyFailure, VerifyFailureCode, VerifyResult, VerifySuccess } from './verify-result.js'
export type { KeywardEvent, KeywardEventType, KeywardHooks } from './events.js'
export {
  ClosedError,
  ConflictError,
  DuplicateKeyIdError,
  InvalidInputError,
  InvalidStateError,
  KeyNotFoundError,
  KeywardError,
  LimitExceededError,
  StoreUnavailableError,
  type AnyKeywardError,
  type KeywardErrorCode,
} from './errors.js'
export { KeyStoreSchemaError, type SchemaErrorCode } from './store/schema-error.js'
export type { ApiKeyInfo, ApiKeyStatus, Credits, JsonValue, KeyStore, Metadata, RateLimit, ScopeGrant } from './types.js'
export type { ThrottleOptions } from './limits.js'
export { escapeLogValue, setDefaultLogger, type KeywardLogger, type LogEntry } from './logging.js'
export type {
  AuditAction,
  AuditActor,
  NotificationSender,
  OutgoingNotification,
  UsageGranularity,
  UsageOutcome,
} from './analytics-types.js'
export type { AnalyticsOptions, MeterLike, MutationOptions } from './analytics-api.js'
export type { AuditEntry, AuditLogOptions } from './instance/audit-trail.js'
export type { MaintenanceReport, NotifyOptions } from './notify/maintenance.js'
export type { KeyUsageTotal, TopKeysOptions, UsageBucket, UsageCounts, UsageOptions, UsageReport } from './usage/reader.js'
export type { AccessRulesInput, AccessRulesOptions } from './rules/api.js'
export type { VerifyCost } from './rules/charges.js'
export type { OwnerInfo, OwnerSettings, OwnersApi } from './rules/owners.js'
export type { NamedRateLimit, RateLimitAlgorithm } from './rules-types.js'
export type { LegacyOptions, MigrationStatus } from './legacy/api.js'
export type { ImportedDigest, ImportedDigestAlgorithm } from './legacy/import.js'
export type { ImportBatchResult, ImportKeyInput } from './legacy/importer.js'
export type { BcryptCompare, SlowHashes } from './legacy/slow-hashes.js'
