import type {
  AuditPage,
  AuditQuery,
  AuditRecord,
  DeliveryOutcome,
  LedgerEntry,
  PendingNotification,
  UsageCutoffs,
  UsageIncrement,
  UsageQuery,
  UsageRow,
  WriteOptions,
} from './analytics-types.js'
import type { DigestAlgorithm } from './lib/digest.js'
import type { Charge, ChargeResult, InsertCap, NamedRateLimit, OwnerRecord } from './rules-types.js'

export type { DigestAlgorithm }

/** A JSON value, as stored in `metadata`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** Free-form JSON attached to a key (for example `{ integration: 'hubspot' }`). Bounded in size. */
export type Metadata = { [key: string]: JsonValue }

/** The namespace part of a scope: `contacts` for `contacts:sync`. */
type ScopeNamespace<S extends string> = S extends `${infer N}:${string}` ? N : never

/**
 * A scope a key may hold: one of the typed scopes `S`, a namespace wildcard (`contacts:*`) or `*`.
 * With the default `S = string` any scope string is accepted.
 */
export type ScopeGrant<S extends string = string> = S | `${ScopeNamespace<S>}:*` | '*'

/** A request-rate limit: at most `limit` successful verifications per `windowMs`. */
export interface RateLimit {
  limit: number
  windowMs: number
}

/** Usage credits: each successful verification spends `cost` (default 1) from `remaining`. */
export interface Credits {
  remaining: number
  /** Every `intervalMs`, `remaining` is reset to `amount`. */
  refill?: { amount: number; intervalMs: number } | null
  /** Epoch milliseconds of the last refill (set by Keyward); the next falls due `intervalMs` later. */
  refilledAt?: number
}

/** A fixed-window counter after an increment. */
export interface CounterState {
  /** Count in the current window, including this increment. */
  count: number
  /** Epoch milliseconds when the window ends. */
  resetAt: number
}

/** The outcome of spending credits. */
export interface CreditSpend {
  /** Whether `cost` was spent (false: not enough credits; nothing was spent). */
  ok: boolean
  /** Credits left after this call. */
  remaining: number
  /** Epoch milliseconds of the next refill, or null without refill. */
  nextRefillAt: number | null
}

/**
 * What a store keeps for one key. Only the digest of the key is stored, never the key.
 * Absent optional values are `null` (not `undefined`) so that every database can round-trip them.
 */
export interface ApiKeyRecord {
  /** Public random id, the lookup key. Safe to show and log. */
  id: string
  /** The deployment prefix the key was minted with, such as `acme_live`. */
  prefix: string
  /** Lowercase hex of the 32-byte digest of the whole key. Secret-equivalent: never shown. */
  digest: string
  algorithm: DigestAlgorithm
  /** Which pepper made the digest (`hmac-sha256` only). */
  pepperId: string | null
  /** The last 4 characters of the key, for display. */
  hint: string
  name: string
  ownerId: string | null
  scopes: string[]
  metadata: Metadata
  createdAt: Date
  updatedAt: Date
  expiresAt: Date | null
  disabledAt: Date | null
  revokedAt: Date | null
  lastUsedAt: Date | null
  /**
   * The client address of the use recorded at `lastUsedAt`, for stores that keep it. Absent when
   * unknown (a store returns the property only when it has an address).
   */
  lastUsedFrom?: string | null
  /** On a key made by `rotate`, the id of the key it replaced. */
  rotatedFromId: string | null
  /** On a rotated key, the id of its successor. */
  rotatedToId: string | null
  rateLimit: RateLimit | null
  /** Further named limits (`tokens`, …), beside `rateLimit` (the limit named `default`); null for none. */
  rateLimits: NamedRateLimit[] | null
  credits: Credits | null
  /** Before this time the key does not work (`not_yet_valid`); null for at once. */
  notBefore: Date | null
  /** Role names (from `createKeyward({ roles })`) whose scopes the key holds as well as its own. */
  roles: string[]
  /** Addresses and CIDR ranges the key may be used from; null for anywhere. */
  allowedIps: string[] | null
  /** When `keyward.import` brought the key from another system; null for a key made here. */
  importedAt: Date | null
  /**
   * For a key imported as a salted slow hash (bcrypt, scrypt, argon2id, PBKDF2): the other system's
   * hash string, whose salt and cost re-make it (bound to the record by the peppered `digest`).
   * Secret-equivalent like the digest: never shown. Null otherwise.
   */
  legacyHash: string | null
  /** Incremented by the store on every `update`; used for conditional updates. */
  revision: number
}

/** Fields a store `update` may change. The store bumps `revision` itself. */
export type ApiKeyPatch = Partial<
  Pick<
    ApiKeyRecord,
    | 'name'
    | 'scopes'
    | 'metadata'
    | 'updatedAt'
    | 'expiresAt'
    | 'disabledAt'
    | 'revokedAt'
    | 'rotatedToId'
    | 'rateLimit'
    | 'rateLimits'
    | 'credits'
    | 'notBefore'
    | 'roles'
    | 'allowedIps'
    | 'legacyHash'
    | 'digest'
    | 'algorithm'
    | 'pepperId'
  >
>

/** The state of a key at the moment its view was made. */
export type ApiKeyStatus = 'active' | 'disabled' | 'expired' | 'revoked' | 'not_yet_valid'

/** The public view of a key: everything but the digest. Safe to return from an API. */
export interface ApiKeyInfo<S extends string = string> {
  id: string
  prefix: string
  /** Last 4 characters of the key. */
  hint: string
  /** A display form such as `acme_live_8fK2…1b2C`: prefix, the start of the id, the hint. */
  redacted: string
  name: string
  ownerId: string | null
  scopes: ScopeGrant<S>[]
  /** Role names the key holds. */
  roles: string[]
  /**
   * What the key may do: its own scopes ∪ its roles' scopes and, on a verified key, ∩ its owner's
   * scopes. `requireScopes` checks these.
   */
  effectiveScopes: ScopeGrant<S>[]
  metadata: Metadata
  status: ApiKeyStatus
  createdAt: Date
  updatedAt: Date
  expiresAt: Date | null
  disabledAt: Date | null
  revokedAt: Date | null
  lastUsedAt: Date | null
  /** The client address of the last recorded use (adapters pass it), when the store keeps it. */
  lastUsedFrom: string | null
  rotatedFromId: string | null
  rotatedToId: string | null
  rateLimit: RateLimit | null
  rateLimits: NamedRateLimit[] | null
  credits: Credits | null
  notBefore: Date | null
  allowedIps: string[] | null
  /** When the key was imported from another system (`keyward.import`); null for a key made here. */
  importedAt: Date | null
  /** Whether the key still verifies by the digest another system made (until its first use here). */
  legacyDigest: boolean
}

/** A query for {@link KeyStore.list}. */
export interface StoreListQuery {
  /** Only keys of this owner; all keys when undefined. */
  ownerId?: string
  /**
   * Only keys minted with this deployment prefix (two deployments such as `acme_live` and
   * `acme_test` may share one store); keys of every prefix when undefined.
   */
  prefix?: string
  /** Include revoked keys. */
  includeRevoked: boolean
  /** Page size, 1–1000. */
  limit: number
  /** An opaque cursor returned by a previous page. */
  cursor?: string
}

/** A page of records, newest first. */
export interface StoreListPage {
  items: ApiKeyRecord[]
  /** Present when more records may follow. */
  nextCursor?: string
}

/** One pending last-used write. */
export interface LastUsedEntry {
  id: string
  lastUsedAt: Date
  /** The client address of that use, when known: kept with `lastUsedAt` by stores that keep it. */
  from?: string
}

/** A change notification: the record with this id was inserted, updated or deleted. */
export interface KeyChange {
  /**
   * The changed record's id, or `'*'` when any record may have changed (for example after the
   * store missed notifications while reconnecting): subscribers then drop everything they cached.
   */
  id: string
}

/**
 * Storage for key records. Implement it for any database and prove it with
 * `runKeyStoreConformance` from `@keyward/core/testing`.
 *
 * Every method may reject; Keyward turns a rejection into `store_unavailable` and never into
 * success.
 */
export interface KeyStore {
  /**
   * Insert a new record. Must reject with `DuplicateKeyIdError` when the id exists. With `cap` (for
   * stores with `putOwner`), must reject with `LimitExceededError` and insert nothing when the
   * record's owner already has `cap.maxKeys` live keys, checked in the same atomic step.
   */
  insert(record: ApiKeyRecord, options?: WriteOptions & { cap?: InsertCap }): Promise<void>
  /**
   * Optional, for fast imports (`keyward import`): insert every record whose id is new and report
   * the ids that already existed (no error for those; a record whose id came earlier in the same
   * call counts as existing), both in the order of `records`. One transaction per call: all of it
   * or nothing. Of `options.audit`, the entries whose `keyId` is an inserted record's id are
   * appended in that transaction; the others are dropped.
   * @example const { inserted, duplicates } = await store.insertMany(records, { audit })
   */
  insertMany?(records: ApiKeyRecord[], options?: { audit?: AuditRecord[] }): Promise<{ inserted: string[]; duplicates: string[] }>
  /** The record with this id, or null. */
  findById(id: string): Promise<ApiKeyRecord | null>
  /**
   * Apply `patch` atomically and increment `revision`. When `expectedRevision` is given, apply it
   * only if the stored revision equals it. Returns the updated record, or null when no record
   * matched (missing id or changed revision).
   */
  update(id: string, patch: ApiKeyPatch, options?: { expectedRevision?: number } & WriteOptions): Promise<ApiKeyRecord | null>
  /** Remove the record. Returns whether it existed. */
  delete(id: string, options?: WriteOptions): Promise<boolean>
  /** Records ordered by `createdAt` descending then `id` descending, with keyset pagination. */
  list(query: StoreListQuery): Promise<StoreListPage>
  /**
   * Record last use for many keys in one round trip. Keeps the later of the stored and given
   * time; ignores unknown ids; changes neither `revision` nor `updatedAt`.
   */
  touch(entries: LastUsedEntry[]): Promise<void>
  /**
   * Optional: call `listener` whenever any record changes, from this process or another.
   * Resolves once listening, to a function that stops it.
   */
  subscribe?(listener: (change: KeyChange) => void): Promise<() => Promise<void>>
  /**
   * Optional, needed for rate limits and failure throttling: atomically add `amount` (0 to peek)
   * to the counter `name` in the fixed window of `windowMs` that contains `now` (windows start at
   * multiples of `windowMs` since the epoch). Windows follow the `now` argument, not the store's
   * or the machine's clock. Concurrent calls from any number of processes must
   * never lose an increment. Counters may be forgotten after their window ends.
   */
  incrementCounter?(name: string, amount: number, windowMs: number, now: number): Promise<CounterState>
  /**
   * Optional, needed for usage credits: atomically, for key `id`, first apply a due refill (when
   * `credits.refill` is set and `now ≥ refilledAt + intervalMs`: `remaining = amount`,
   * `refilledAt` advanced by whole intervals up to `now`), then spend `cost` if `remaining ≥ cost`.
   * Resolves null when the key does not exist or has no credits. Does not change `revision`.
   */
  spendCredits?(id: string, cost: number, now: number): Promise<CreditSpend | null>
  /**
   * Optional, for usage analytics: add each increment's `count` to its key's and outcome's minute
   * bucket and to the UTC hour and day buckets that contain that minute (`usageBuckets` from
   * `@keyward/core/store`). Concurrent calls from any number of processes must never lose an add.
   * With a `batchId`, a batch is applied at most once: a call whose id was applied before (by any
   * connection) changes nothing, and the check and the adds are one atomic step, so a retry after
   * a lost reply does not count twice. Ids may be forgotten with the minute buckets of their
   * batch's earliest minute (`pruneUsage`).
   */
  addUsage?(increments: UsageIncrement[], batchId?: string): Promise<void>
  /** Optional, with `addUsage`: the rows of one granularity whose bucket starts in `[from, to)`. */
  readUsage?(query: UsageQuery): Promise<UsageRow[]>
  /** Optional, with `addUsage`: remove buckets that start before the cutoff of their granularity. */
  pruneUsage?(cutoffs: UsageCutoffs): Promise<void>
  /**
   * Optional, for the audit log: append entries. A store with `listAudit` must also append the
   * `audit` entry passed to `insert`, `update` and `delete`, in the same transaction as the change
   * where it has transactions. Entries are never changed afterwards.
   */
  appendAudit?(entries: AuditRecord[]): Promise<void>
  /** Optional: a page of audit entries, newest first. A tampered cursor is an `InvalidInputError`. */
  listAudit?(query: AuditQuery): Promise<AuditPage>
  /** Optional: remove audit entries older than `before` (epoch milliseconds); nothing else. */
  pruneAudit?(before: number): Promise<void>
  /**
   * Optional, for notifications: record entries whose id was never recorded before (by anyone) and
   * resolve to those ids; the others are ignored. A `pending` entry waits for `claimNotifications`,
   * due at once.
   */
  recordNotifications?(entries: LedgerEntry[]): Promise<string[]>
  /**
   * Optional: up to `limit` pending entries that are due (`nextAttemptAt ≤ now`) and not claimed
   * (or whose claim has lapsed), oldest first, each claimed for `holder` until `now + leaseMs` so
   * no other instance delivers it meanwhile.
   */
  claimNotifications?(holder: string, now: number, leaseMs: number, limit: number): Promise<PendingNotification[]>
  /** Optional: end a claim. Delivered entries stop being pending; failed ones count an attempt and wait until `nextAttemptAt`. */
  settleNotification?(id: string, outcome: DeliveryOutcome): Promise<void>
  /** Optional: forget entries that are no longer pending and were created before `before`. */
  pruneNotifications?(before: number): Promise<void>
  /**
   * Optional: take or renew the lease `name` for `holder` until `now + ttlMs`. Resolves true when
   * `holder` holds it (it was free, lapsed, or already `holder`'s), false when another holds it.
   */
  acquireLease?(name: string, holder: string, ttlMs: number, now: number): Promise<boolean>
  /**
   * Optional, needed for named and sliding limits, owner limits and owner credits: admit all of
   * `charges` or none, atomically across processes. First apply due credit refills (as
   * `spendCredits`); then each charge admits when a counter's `count + amount ≤ limit` (sliding:
   * `previous × (windowEnd − now) / windowMs + count + amount ≤ limit`) and credits hold at least
   * `cost` (a missing holder or one without credits admits). Only when all admit are all spent. A
   * store without it gets today's single fixed limit and key credits from `incrementCounter` and
   * `spendCredits`.
   */
  charge?(charges: Charge[], now: number): Promise<ChargeResult>
  /** Optional, for owners: the owner with this id, or null. */
  getOwner?(id: string): Promise<OwnerRecord | null>
  /**
   * Optional, for owners: create or replace an owner (keeping the stored `createdAt`), increment its
   * `revision`, append `options.audit` in the same transaction, publish the change id
   * `owner:<id>` to subscribers, and resolve to the stored record.
   */
  putOwner?(owner: OwnerRecord, options?: WriteOptions): Promise<OwnerRecord>
  /** Optional: release connections. */
  close?(): Promise<void>
}
