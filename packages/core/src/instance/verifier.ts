import type { VerifyOptions } from '../api.js'
import { StoreUnavailableError } from '../errors.js'
import type { KeyFormat } from '../format.js'
import { causeText } from '../lib/cause-text.js'
import { DIGEST_LENGTH, digestsEqual, keyBytes, keysEqual } from '../lib/digest.js'
import type { LastUsedWriter } from '../lib/last-used.js'
import type { DigesterSet } from '../lib/peppers.js'
import { deepFreeze, statusOf } from './view.js'
import type { Limits } from '../limits.js'
import { type Admission, admitAll } from '../rules/charges.js'
import { checkVerifyCost } from '../rules/cost.js'
import type { OwnerCache, OwnerEntry } from '../rules/owner-cache.js'
import { type AllowList, compileAllowList } from '../ip/index.js'
import { checkScopeRequirement, type RoleTable, unmetScopes } from '../scopes.js'
import type { ApiKeyPatch, ApiKeyRecord, KeyStore } from '../types.js'
import { failure, type VerifyFailure, type VerifyResult, type VerifySuccess } from '../verify-result.js'
import type { UsageOutcome } from '../analytics-types.js'
import type { UsageCounter } from '../usage/counter.js'
import type { VerifyMetrics } from './analytics.js'
import type { EventSink } from './events.js'
import type { CacheEntry, RecordCache } from './record-cache.js'
import type { LegacyLookup } from '../legacy/lookup.js'
import { toInfo } from './view.js'

export interface VerifierParts<S extends string> {
  format: KeyFormat
  store: KeyStore
  digesters: DigesterSet
  cache: RecordCache<S>
  /** Ids for keys of other systems (`createKeyward({ legacy })`), or null. */
  legacy: LegacyLookup | null
  owners: OwnerCache
  roles: RoleTable
  limits: Limits
  lastUsed: LastUsedWriter | null
  events: EventSink
  now: () => number
  rememberVerifiedKeys: boolean
  isClosed: () => boolean
  usage: UsageCounter | null
  metrics: VerifyMetrics | null
  /** A key in its rotation grace period was used: for `key.used_after_rotation`. */
  onPredecessorUsed: (record: ApiKeyRecord, source: string | undefined) => void
}

const STORE_RETRY_AFTER_MS = 1_000
/** How far a key in its rotation grace period looks along its chain for the budget it shares. */
const MAX_ROTATION_HOPS = 8
const VERIFY_OPTIONS = new Set(['scopes', 'cost', 'source'])
/** A well-formed Keyward key of another deployment's prefix. */
const OTHER_PREFIX = Symbol('other prefix')

/**
 * The hot path: parse → throttle → cache or store → digest → constant-time compare → state →
 * scopes → limits → last-used → result.
 */
export class Verifier<S extends string> {
  readonly #p: VerifierParts<S>
  readonly #scratch = new Uint8Array(DIGEST_LENGTH)
  /** Records whose digest is being re-made under the current pepper (one write each at a time). */
  readonly #upgrading = new Set<string>()

  constructor(parts: VerifierParts<S>) {
    this.#p = parts
  }

  verify(key: unknown, options?: VerifyOptions<S>): Promise<VerifyResult<S>> {
    const metrics = this.#p.metrics
    if (metrics === null) return this.#verify(key, options)
    const started = performance.now()
    return this.#verify(key, options).then((result) => {
      metrics.record(result.ok ? 'ok' : result.code, performance.now() - started)
      return result
    })
  }

  async #verify(key: unknown, options?: VerifyOptions<S>): Promise<VerifyResult<S>> {
    const { format, limits, cache } = this.#p
    // Options are the application's own code: a wrong shape is a programming error and throws.
    // The key is the caller's input: whatever it is, verify answers with a result.
    if (options !== undefined) checkVerifyOptionNames(options)
    const requirement = checkScopeRequirement(options?.scopes)
    const source = options?.source
    const cost = checkVerifyCost(options?.cost)
    const now = this.#p.now()
    const sourceWait = limits.throttled('source', source, now)
    if (sourceWait !== undefined) return this.#fail(failure('rate_limited', { retryAfterMs: sourceWait }), undefined, source)

    const ids = this.#lookupIds(key)
    // Shape failures cost nothing and touch no store, so they are not counted for throttling.
    if (ids === null) return this.#fail(failure('malformed'))
    if (ids === OTHER_PREFIX)
      return this.#fail(
        failure('invalid', {
          message: `The API key was issued for another environment or service (it does not start with "${format.prefix}_").`,
        }),
        format.parse(key)?.id,
      )
    const id = typeof ids === 'string' ? ids : ids[0]!
    if (this.#p.isClosed()) return this.#fail(failure('store_unavailable', { retryAfterMs: STORE_RETRY_AFTER_MS }), id)
    const keyWait = limits.throttled('key', id, now)
    if (keyWait !== undefined) return this.#fail(failure('rate_limited', { retryAfterMs: keyWait }), id)

    let entry: CacheEntry<S>
    try {
      entry = await this.#entryFor(ids, now)
    } catch (error) {
      return this.#storeFailure(id, error)
    }

    // Equal work whether or not the id exists: an unknown id gets a decoy entry of the same shape
    // (current digester, random digest, remembered bytes that no key can equal), cached like a real
    // one. A key equal to the one that last matched this record is accepted after a constant-time
    // compare; anything else reserves a throttling slot (so a burst of guesses cannot outrun the
    // counter), then costs one digest and one digest compare.
    // (Without remembered keys there is nothing to compare for anyone: the step is skipped for all.)
    const decoy = cache.decoy
    let matched =
      this.#p.rememberVerifiedKeys && keysEqual(key as string, entry.verifiedKey ?? decoy.verifiedKey!) && now < entry.acceptUntil
    if (!matched) {
      const reservation = limits.reserve(source, id, now)
      if ('retryAfterMs' in reservation) return this.#fail(failure('rate_limited', reservation), id, source)
      // A slow hash (a key imported from bcrypt, argon2id…) yields while it runs: its own buffer.
      const scratch = entry.digester.digestIntoAsync ? new Uint8Array(DIGEST_LENGTH) : this.#scratch
      if (entry.digester.digestIntoAsync) await entry.digester.digestIntoAsync(key as string, scratch)
      else entry.digester.digestInto(key as string, scratch)
      matched = digestsEqual(scratch, entry.digest ?? decoy.digest!) && now < entry.acceptUntil
      if (!matched || entry.record === null) {
        if (entry.record !== null) this.#count(entry.record, 'invalid', now)
        await limits.recordFailure(reservation, now)
        return this.#fail(failure('invalid'), id, source)
      }
      limits.release(reservation)
      if (this.#p.rememberVerifiedKeys) entry.verifiedKey = keyBytes(key as string)
      if (entry.digester !== this.#p.digesters.current) this.#upgradeDigest(entry.record, key as string)
    }
    const record = entry.record!

    const state = statusOf(record, now)
    if (state !== 'active') {
      this.#count(record, state, now)
      return this.#fail(failure(state, { keyId: record.id }), record.id)
    }
    let owner: OwnerEntry | null = null
    if (record.ownerId !== null && this.#p.owners.enabled)
      try {
        owner = await this.#p.owners.get(record.ownerId, now)
      } catch (error) {
        return this.#storeFailure(record.id, error)
      }
    if (record.allowedIps !== null || owner?.allowList) {
      let keyList: AllowList | null
      try {
        keyList = record.allowedIps === null ? null : (entry.allowList ??= compileAllowList(record.allowedIps))
      } catch {
        // Stored entries were checked when written: one that does not parse was written by someone else.
        return this.#storeFailure(record.id, new TypeError('the store returned a malformed allow-list'))
      }
      if ((keyList !== null && !keyList.allows(source)) || (owner?.allowList && !owner.allowList.allows(source))) {
        this.#count(record, 'ip_not_allowed', now)
        return this.#fail(failure('ip_not_allowed', { keyId: record.id }), record.id, source)
      }
    }
    // The view (with effective scopes: own ∪ roles, ∩ the owner's) is made once per owner revision.
    const ownerRevision = owner === null ? -1 : owner.owner.revision
    if (entry.info === null || entry.infoOwnerRevision !== ownerRevision) {
      entry.info = deepFreeze(toInfo<S>(record, now, this.#p.roles, owner?.owner.scopes ?? null))
      entry.infoOwnerRevision = ownerRevision
    }
    const info = entry.info
    if (requirement.scopes.length > 0) {
      const missing = unmetScopes(info.effectiveScopes, requirement)
      if (missing.length > 0) {
        this.#count(record, 'insufficient_scope', now)
        return this.#fail(insufficientScope(record.id, missing, requirement.mode), record.id)
      }
    }

    const success: VerifySuccess<S> = { ok: true, key: info }
    if (
      record.rotatedToId !== null ||
      record.rateLimit !== null ||
      record.rateLimits !== null ||
      record.credits !== null ||
      limits.defaults.length > 0 ||
      (owner !== null && (owner.owner.rateLimits.length > 0 || owner.owner.credits !== null))
    ) {
      let admission: VerifyFailure | Admission
      try {
        const budget = record.rotatedToId === null ? record : await this.#budgetOf(record, now)
        admission = await admitAll(this.#p.store, record.id, budget, owner?.owner ?? null, limits.defaults, cost, now)
      } catch (error) {
        return this.#storeFailure(record.id, error)
      }
      if ('ok' in admission) {
        this.#count(record, admission.code as UsageOutcome, now)
        return this.#fail(admission, record.id)
      }
      if (admission.rateLimit) success.rateLimit = admission.rateLimit
      if (admission.rateLimits) success.rateLimits = admission.rateLimits
      if (admission.creditsRemaining !== undefined) success.creditsRemaining = admission.creditsRemaining
    }

    this.#p.lastUsed?.record(record.id, now, source)
    this.#count(record, 'ok', now)
    if (record.rotatedToId !== null) this.#p.onPredecessorUsed(record, source)
    if (this.#p.events.enabled) this.#p.events.emit({ type: 'key.verified', keyId: record.id, ownerId: record.ownerId })
    return success
  }

  /**
   * The ids to look a key up by: its own id for a key of this deployment's format (a string, so the
   * native path allocates no array); for a key of a declared legacy prefix, the ids derived from it
   * (at most two); `OTHER_PREFIX` for a Keyward key of another prefix; null for anything else
   * (malformed: refused with no store call).
   */
  #lookupIds(key: unknown): string | readonly string[] | typeof OTHER_PREFIX | null {
    const parsed = this.#p.format.parse(key)
    if (parsed !== null) return parsed.ownPrefix ? parsed.id : OTHER_PREFIX
    const legacy = this.#p.legacy
    return legacy?.declared(key) ? legacy.candidates(key).map((candidate) => candidate.id) : null
  }

  /** The entry of the first id with a record, else the last id's decoy (cached like any unknown id). */
  async #entryFor(ids: string | readonly string[], now: number): Promise<CacheEntry<S>> {
    const { cache } = this.#p
    if (typeof ids === 'string') return cache.lookup(ids, now) ?? (await cache.load(ids, now))
    let entry: CacheEntry<S> | undefined
    for (const id of ids) {
      entry = cache.lookup(id, now) ?? (await cache.load(id, now))
      if (entry.record !== null) break
    }
    return entry!
  }

  /**
   * The record whose limits and credits a rotated key spends: the newest key of its rotation chain
   * (a key and its successors share one budget). A broken chain (a successor deleted) ends at the
   * last record found.
   */
  async #budgetOf(record: ApiKeyRecord, now: number): Promise<ApiKeyRecord> {
    let budget = record
    for (let hop = 0; hop < MAX_ROTATION_HOPS && budget.rotatedToId !== null; hop++) {
      const next = await this.#p.cache.get(budget.rotatedToId, now)
      if (next.record === null || next.record.rotatedFromId !== budget.id) break
      budget = next.record
    }
    return budget
  }

  /**
   * Re-digest a record made under an older pepper (or none, inside the migration window) under the
   * current one, after a successful verification: one conditional write, off the request path.
   */
  #upgradeDigest(record: ApiKeyRecord, key: string): void {
    if (this.#upgrading.has(record.id)) return
    this.#upgrading.add(record.id)
    const current = this.#p.digesters.current
    const patch: ApiKeyPatch = { digest: current.digestHex(key), algorithm: current.algorithm, pepperId: current.pepperId }
    // The other system's slow-hash string is not needed once the key is digested here.
    if (record.legacyHash !== null) patch.legacyHash = null
    const { events } = this.#p
    this.#p.store
      .update(record.id, patch, { expectedRevision: record.revision })
      .then(
        (updated) => {
          this.#p.cache.invalidate(record.id)
          if (updated !== null) events.emit({ type: 'key.digest_upgraded', keyId: record.id, ownerId: record.ownerId })
        },
        (error: unknown) => events.emit({ type: 'store.error', operation: 'digest_upgrade', keyId: record.id, cause: causeText(error) }),
      )
      .finally(() => this.#upgrading.delete(record.id))
  }

  #count(record: ApiKeyRecord, outcome: UsageOutcome, now: number): void {
    this.#p.usage?.count(record.id, record.ownerId, outcome, now)
  }

  #storeFailure(keyId: string, error: unknown): VerifyFailure {
    // A malformed record was reported where it was found; anything else is reported here, with why.
    if (!(error instanceof StoreUnavailableError && error.operation === 'verify'))
      this.#p.events.emit({ type: 'store.error', operation: 'verify', keyId, cause: causeText(error) })
    return this.#fail(failure('store_unavailable', { retryAfterMs: STORE_RETRY_AFTER_MS }), keyId)
  }

  #fail(result: VerifyFailure, keyId?: string, source?: string): VerifyFailure {
    if (this.#p.events.enabled)
      this.#p.events.emit({
        type: 'key.verify_failed',
        code: result.code,
        ...(keyId && { keyId }),
        ...(source !== undefined && { source }),
      })
    return result
  }
}

/** Refuse an unknown verify option (`scope` for `scopes` would otherwise check nothing). */
function checkVerifyOptionNames(options: object): void {
  if (options === null || typeof options !== 'object') throw new TypeError('verify options must be an object')
  for (const name in options)
    if (!VERIFY_OPTIONS.has(name))
      throw new TypeError(`unknown verify option ${JSON.stringify(name.slice(0, 40))}; expected scopes, cost or source`)
}

function insufficientScope(keyId: string, missing: string[], mode: 'all' | 'any'): VerifyFailure {
  const list = missing.map((scope) => `"${scope}"`).join(mode === 'any' ? ' or ' : ', ')
  return failure('insufficient_scope', {
    keyId,
    scope: missing[0]!,
    missingScopes: missing,
    message:
      missing.length === 1
        ? `The API key does not have the scope ${list} that this request needs.`
        : `The API key does not have the scopes ${list} that this request needs.`,
  })
}
