import type { AnalyticsOptions, MutationOptions } from './analytics-api.js'
import type { KeywardHooks } from './events.js'
import type { AuditEntry, AuditLogOptions } from './instance/audit-trail.js'
import type { MaintenanceReport } from './notify/maintenance.js'
import type { KeyUsageTotal, TopKeysOptions, UsageOptions, UsageReport } from './usage/reader.js'
import type { ThrottleOptions } from './limits.js'
import type { PepperSecret } from './lib/peppers.js'
import type { KeywardLogger } from './logging.js'
import type { ApiKeyInfo, Credits, KeyStore, Metadata, RateLimit, ScopeGrant } from './types.js'
import type { ScopeRequirement } from './scopes.js'
import type { VerifyResult } from './verify-result.js'
import type { AccessRulesInput, AccessRulesOptions } from './rules/api.js'
import type { LegacyOptions, MigrationStatus } from './legacy/api.js'
import type { ImportBatchResult, ImportKeyInput } from './legacy/importer.js'
import type { VerifyCost } from './rules/charges.js'
import type { OwnersApi } from './rules/owners.js'

/** Options of {@link createKeyward} other than the pepper. */
interface KeywardBaseOptions {
  /** Deployment prefix, lowercase segments joined by `_`: `acme_live`, `acme_test`. */
  prefix: string
  /** Where records live. `MemoryKeyStore`, `@keyward/sqlite`, `@keyward/postgres`, `@keyward/redis` or your own. */
  store: KeyStore
  /**
   * A migration window for records made before a pepper was configured (plain SHA-256). With a
   * pepper, such records verify nothing by default: a record's algorithm is data that anyone who
   * can write one row controls, and trusting it would let them mint keys. Until this date they are
   * accepted, and each is re-digested under the current pepper on its first successful
   * verification; after it, a key never used in the window is refused (`invalid`). Keys made under
   * an older pepper still listed in `peppers` are re-digested the same way, with no window.
   * @example acceptUnpepperedUntil: new Date('2027-03-01')
   */
  acceptUnpepperedUntil?: Date
  /**
   * Length of the public id in base62 characters.
   * @default 12
   */
  idLength?: number
  /**
   * Length of the secret in base62 characters, at least 22 (128 bits).
   * @default 32
   */
  secretLength?: number
  /**
   * Cache of store records by id, so verification stays local. `false` reads the store every time.
   * Mutations through this instance invalidate at once; changes from elsewhere arrive through the
   * store's `subscribe` when it has one, otherwise within `ttlMs`.
   *
   * `rememberVerifiedKeys` keeps, in each cached entry, the key that last matched it, so repeat
   * verifications skip the digest (a constant-time compare instead): about 4× faster. The key then
   * lives in process memory for up to `ttlMs`, as request headers briefly do anyway; turn it off if a
   * heap dump of a running server must not contain recently used keys.
   * @default { ttlMs: 30_000, max: 10_000, negativeTtlMs: 1_000, rememberVerifiedKeys: true }
   */
  cache?: false | { ttlMs?: number; max?: number; negativeTtlMs?: number; rememberVerifiedKeys?: boolean }
  /**
   * Last-used tracking: at most one batched write per key per `intervalMs`, off the request path.
   * @default { intervalMs: 60_000 }
   */
  lastUsed?: false | { intervalMs?: number }
  /** Audit hooks. Events carry key ids, never keys or digests. */
  hooks?: KeywardHooks
  /**
   * Receives a log line per event (debug; `store.error` as warn, with the store's own error as
   * `cause`, credentials removed), values escaped; a distinct warning is repeated at most once a
   * minute. Defaults to the logger set with `setDefaultLogger`, else store errors (and why) go to
   * `console.warn`, so a wrong database URL never fails silently. `false`: no logging at all.
   */
  logger?: KeywardLogger | false
  /**
   * Default rate limit of every key without its own: at most `limit` successful verifications per
   * `windowMs` (fixed windows), counted atomically in the store across instances.
   */
  rateLimit?: RateLimit
  /**
   * Failed-attempt throttling per client address (`verify(key, { source })`) and, opt-in, per key id.
   * `false` turns it off. Needs a store with `incrementCounter` (every store in this repository).
   * @default { perSource: { limit: 100, windowMs: 3_600_000 }, perKey: false }
   */
  throttle?: false | ThrottleOptions
  /**
   * Clock in epoch milliseconds, for tests.
   * @default Date.now
   */
  now?: () => number
}

/** One pepper, or several for rotation — never both (a compile-time error, and a `TypeError` at run time). */
type PepperChoice =
  | {
      /**
       * A server-side secret of at least 32 bytes: digests become HMAC-SHA256 under it, so a stolen
       * database verifies nothing and a row-writer mints nothing. Recommended. Its pepper id is
       * `"default"`. `false` chooses plain SHA-256 on purpose; leaving it out does the same but
       * warns once (on `console.warn`, outside test runners).
       */
      pepper?: PepperSecret | false
      peppers?: never
    }
  | {
      pepper?: never
      /**
       * Several peppers, for rotation: new keys use `current`; records name the pepper that made them,
       * so keys made under an older one keep verifying while it is listed. A single `pepper` has the
       * id `"default"`: moving from it to a new one, keep it under that id.
       * @example { current: 'p2', secrets: { default: process.env.KEYWARD_PEPPER!, p2: process.env.KEYWARD_PEPPER_2! } }
       */
      peppers?: { current: string; secrets: Record<string, PepperSecret> }
    }

/** Options of {@link createKeyward}. */
export type KeywardOptions = KeywardBaseOptions & AnalyticsOptions & AccessRulesOptions & LegacyOptions & PepperChoice

/** Input of `create`. */
export interface CreateKeyInput<S extends string = string> extends AccessRulesInput {
  /** A descriptive name, 1–100 characters, such as `"HubSpot CRM sync"`. */
  name: string
  /** The account or user the key acts for. */
  ownerId?: string | null
  /** Scopes granted; `contacts:*` grants every `contacts:` scope and `*` grants all. */
  scopes?: ScopeGrant<S>[]
  /** When the key stops working; must be in the future. */
  expiresAt?: Date | number | null
  /** JSON, at most 8 KiB. */
  metadata?: Metadata
  /** This key's rate limit, or null for none. */
  rateLimit?: RateLimit | null
  /**
   * Usage credits, or null for unlimited: each successful verify spends its `cost`; with `refill`,
   * `remaining` is reset to `amount` every `intervalMs`.
   * @example { remaining: 1000, refill: { amount: 1000, intervalMs: 86_400_000 } }
   */
  credits?: Pick<Credits, 'remaining' | 'refill'> | null
}

/** Fields `update` may change. `expiresAt: null` removes the expiry. */
export interface UpdateKeyInput<S extends string = string> extends AccessRulesInput {
  name?: string
  scopes?: ScopeGrant<S>[]
  metadata?: Metadata
  expiresAt?: Date | number | null
  rateLimit?: RateLimit | null
  /** New credits; the refill interval restarts now. */
  credits?: Pick<Credits, 'remaining' | 'refill'> | null
}

/** Options of `rotate`. */
export interface RotateOptions {
  /**
   * How long the old key keeps working. `0` ends it at once (for a leak, prefer `revoke`).
   * @default 0
   */
  gracePeriodMs?: number
  /** Expiry of the new key. By default the old key's expiry when still in the future, else none. */
  expiresAt?: Date | number | null
}

/** Options of `list`. */
export interface ListOptions {
  ownerId?: string
  /**
   * Include revoked keys.
   * @default false
   */
  includeRevoked?: boolean
  /**
   * Page size, 1–100.
   * @default 50
   */
  limit?: number
  /** `nextCursor` of the previous page. */
  cursor?: string
}

/**
 * Options of `verify`. They come from the application's code, not from the caller: a wrong shape
 * (an unknown option, a `Set` or `null` for `scopes`, a negative or fractional `cost`) is a
 * programming error and throws a `TypeError`, so that a mistake can never grant access. The key
 * itself may be anything: `verify` answers every key value with a result and never throws for it.
 */
export interface VerifyOptions<S extends string = string> {
  /**
   * Scopes this request needs: every one of a list (`['a', 'b']`, or `{ allOf: ['a', 'b'] }`), or at
   * least one (`{ anyOf: ['a', 'b'] }`). A refusal names every scope that is missing.
   */
  scopes?: ScopeRequirement<S>
  /**
   * What this request spends: a whole number of credits (each limit then counts 1), or units per
   * limit name, with `credits` for credits (limits not named count 1).
   * @default 1
   * @example { tokens: 500 }
   */
  cost?: VerifyCost
  /** The client address, for failed-attempt throttling. Adapters pass it (honouring `trustProxy`). */
  source?: string
}

/** A new key: `key` is shown once and never stored; `info` is its public view. */
export interface CreatedKey<S extends string = string> {
  key: string
  info: ApiKeyInfo<S>
}

/** A Keyward instance. See {@link createKeyward}. */
export interface Keyward<S extends string = string> {
  readonly prefix: string
  /** Owners: limits, credits, a key cap, scopes and allowed IPs shared by all of an owner's keys. */
  readonly owners: OwnersApi
  /** Matches one key of this deployment, for secret scanners. */
  readonly pattern: RegExp
  /** Whether `candidate` has this deployment's shape and a valid checksum. No store call. */
  looksLikeKey(candidate: unknown): boolean
  /** `text` with every key of this deployment replaced by its display form `acme_live_8fK2…1b2C`. */
  redact(text: string): string
  /**
   * Mint a key. Unknown fields are refused (`InvalidInputError`), so a misspelt expiry never yields a key without one.
   * Every mutation takes `{ actor }` last, recorded in the audit log and on the event.
   */
  create(input: CreateKeyInput<S>, options?: MutationOptions): Promise<CreatedKey<S>>
  /**
   * Check a presented key. Never throws for any key value (a failure result says why); throws a
   * `TypeError` for options in a wrong shape (see {@link VerifyOptions}).
   */
  verify(key: unknown, options?: VerifyOptions<S>): Promise<VerifyResult<S>>
  get(id: string): Promise<ApiKeyInfo<S> | null>
  /**
   * Which key is this? The public view of the key when its digest matches a stored record, in any
   * state (disabled, expired, revoked…), else null. For leak response and scanners: no state check,
   * no limits, no last-used write, no cache. Rejects when the store fails.
   */
  identify(key: string): Promise<ApiKeyInfo<S> | null>
  list(options?: ListOptions): Promise<{ items: ApiKeyInfo<S>[]; nextCursor?: string }>
  update(id: string, input: UpdateKeyInput<S>, options?: MutationOptions): Promise<ApiKeyInfo<S>>
  disable(id: string, options?: MutationOptions): Promise<ApiKeyInfo<S>>
  enable(id: string, options?: MutationOptions): Promise<ApiKeyInfo<S>>
  revoke(id: string, options?: MutationOptions): Promise<ApiKeyInfo<S>>
  delete(id: string, options?: MutationOptions): Promise<void>
  /**
   * Replace a live key (an `InvalidStateError` for a revoked, disabled or expired one). The old key
   * works for `gracePeriodMs`, spending from its successor's limits and credits: a key and its
   * successors share one budget. The old key's expiry can then be brought forward, not extended.
   */
  rotate(id: string, options?: RotateOptions, mutation?: MutationOptions): Promise<CreatedKey<S> & { previous: ApiKeyInfo<S> }>
  /**
   * Store a key that exists in another system without re-issuing it: the key itself, or the digest
   * that system stored (SHA-256 of the whole key in hex, base64 or base64url; prefixed-api-key's
   * short token and long-token hash). It verifies at once, by the same path; a digest is re-made
   * under the current pepper on the key's first successful use. Audited as `key.imported`.
   * @example await keyward.import({ name: 'CRM sync', ownerId: 'acct_42', digest: { algorithm: 'sha256-base64url', value: row.key } })
   */
  import(input: ImportKeyInput<S>, options?: MutationOptions): Promise<{ info: ApiKeyInfo<S> }>
  /**
   * Import up to 1,000 keys in one store write (`insertMany`, one transaction) where the store has
   * it. Keys imported before are listed in `duplicates`, refused inputs in `failed` (by index): an
   * interrupted import can be run again.
   */
  importMany(inputs: ImportKeyInput<S>[], options?: MutationOptions): Promise<ImportBatchResult<ApiKeyInfo<S>>>
  /** How many imported keys were upgraded, still verify by their old digest, or were not used since. */
  migrationStatus(): Promise<MigrationStatus>
  /**
   * Record that a key was found in public (a secret scanner, a support ticket): an audit entry
   * `key.leaked` and, once per key, the `key.leaked` notification. Does not revoke: call `revoke`.
   */
  reportLeak(id: string, details?: { url?: string }, options?: MutationOptions): Promise<void>
  /**
   * Verifications per bucket, by outcome, for one key, one owner or the whole deployment. Includes
   * this instance's not yet written counts; other instances' arrive within `usage.flushMs`.
   * @example await keyward.usage({ keyId, from: Date.now() - 86_400_000, to: Date.now(), granularity: 'hour' })
   */
  usage(options: UsageOptions): Promise<UsageReport>
  /** Keys ranked by verifications in a time range, most used first. */
  topKeys(options: TopKeysOptions): Promise<KeyUsageTotal[]>
  /** The audit log, newest first, a page at a time. */
  auditLog(options?: AuditLogOptions): Promise<{ items: AuditEntry[]; nextCursor?: string }>
  /**
   * One pass of notifications (`key.expiring_soon`, `key.unused`, `key.credits_low`,
   * `key.auth_failures`), pruning past retention, and webhook deliveries that are due. Scans only
   * while holding the store's maintenance lease, so instances do not scan twice.
   */
  runMaintenance(): Promise<MaintenanceReport>
  /** Run maintenance now and every `intervalMs` (default 60 s) until `stopMaintenance()` or `close()`. */
  startMaintenance(options?: { intervalMs?: number }): void
  stopMaintenance(): void
  /**
   * Check that the store answers, at start-up: resolves when it does, rejects with why when it does
   * not (a `StoreUnavailableError` whose message carries the store's own reason, credentials
   * removed, or a `KeyStoreSchemaError`). Without it a wrong database URL shows only as 503s.
   *
   * @example
   * await keyward.ready() // before app.listen(): fail fast on a wrong DATABASE_URL
   */
  ready(): Promise<void>
  /** Flush pending last-used and usage writes, stop timers and unsubscribe. Does not close the store. */
  close(): Promise<void>
}
