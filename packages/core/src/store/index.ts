/**
 * `@keyward/core/store`: for store authors. The `KeyStore` contract, the cursor and counter helpers
 * every store shares, and the errors a store throws. Prove a store with `@keyward/core/testing`.
 */
export type {
  ApiKeyPatch,
  ApiKeyRecord,
  CounterState,
  CreditSpend,
  Credits,
  DigestAlgorithm,
  JsonValue,
  KeyChange,
  KeyStore,
  LastUsedEntry,
  Metadata,
  RateLimit,
  StoreListPage,
  StoreListQuery,
} from '../types.js'
export type {
  AuditAction,
  AuditActor,
  AuditPage,
  AuditQuery,
  AuditRecord,
  DeliveryOutcome,
  LedgerEntry,
  PendingNotification,
  UsageCutoffs,
  UsageGranularity,
  UsageIncrement,
  UsageOutcome,
  UsageQuery,
  UsageRow,
  WriteOptions,
} from '../analytics-types.js'
export { bucketSpan, bucketStart, usageBuckets } from '../usage-buckets.js'
export { decodeCursor, encodeCursor, isAfter, type ListPosition } from './cursor.js'
export { counterWindow, spendFromCredits } from '../credits.js'
export { KeyStoreSchemaError, type SchemaErrorCode } from './schema-error.js'
export { ClosedError, DuplicateKeyIdError, InvalidInputError, KeywardError, LimitExceededError, StoreUnavailableError } from '../errors.js'
export type {
  Charge,
  ChargeResult,
  ChargeState,
  CounterCharge,
  CreditCharge,
  InsertCap,
  NamedRateLimit,
  OwnerRecord,
  RateLimitAlgorithm,
} from '../rules-types.js'
export { ownerChangeId } from '../rules-types.js'
export { applyCharges, type ChargeBook } from '../charge.js'
export { counterSubject } from '../rules/charges.js'
export { pageOf } from './page.js'
export { ChangeListeners } from './listeners.js'
export { storeFailure, urlPasswords } from './failures.js'
export { renameOptions } from './renamed-options.js'
export {
  addLastUsedFromSql as sqliteAddLastUsedFromSql,
  encodePatchValue as encodeSqlitePatchValue,
  KEY_COLUMNS as SQLITE_KEY_COLUMNS,
  PATCH_COLUMNS as SQLITE_PATCH_COLUMNS,
  patchFields as sqlitePatchFields,
  recordToRow as sqliteRecordToRow,
  rowToRecord as sqliteRowToRecord,
  touchSql as sqliteTouchSql,
  touchValues as sqliteTouchValues,
  type KeyRow as SqliteKeyRow,
} from './sqlite-rows.js'
export {
  auditByKey as sqliteAuditByKey,
  importSchema as sqliteImportSchema,
  insertManyResult as sqliteInsertManyResult,
  insertNewKeySql as sqliteInsertNewKeySql,
} from './sqlite-import.js'
export {
  counterSlot as sqliteCounterSlot,
  counterStatements as sqliteCounterStatements,
  insertKeySql as sqliteInsertKeySql,
  insertKeyValues as sqliteInsertKeyValues,
  ownerStatements as sqliteOwnerStatements,
  ownerValues as sqliteOwnerValues,
  rowToOwner as sqliteRowToOwner,
  rulesSchema as sqliteRulesSchema,
  type OwnerRow as SqliteOwnerRow,
} from './sqlite-rules.js'
export {
  analyticsSchema as sqliteAnalyticsSchema,
  analyticsStatements as sqliteAnalyticsStatements,
  auditPageOf as sqliteAuditPageOf,
  auditValues as sqliteAuditValues,
  batchMinute as sqliteBatchMinute,
  claimedNotifications as sqliteClaimedNotifications,
  isAppliedBatchError as sqliteIsAppliedBatchError,
  listAuditSql as sqliteListAuditSql,
  readUsageSql as sqliteReadUsageSql,
  USAGE_ROW_PARAMS as SQLITE_USAGE_ROW_PARAMS,
  usageRowFrom as sqliteUsageRowFrom,
  usageBatchesSchema as sqliteUsageBatchesSchema,
  usageValues as sqliteUsageValues,
  type AuditTableRow as SqliteAuditRow,
  type NotificationTableRow as SqliteNotificationRow,
  type UsageTableRow as SqliteUsageRow,
} from './sqlite-analytics.js'
