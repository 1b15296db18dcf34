import type { MutationOptions } from './analytics-api.js'
import type {
  CreateKeyInput,
  CreatedKey,
  Keyward,
  KeywardOptions,
  ListOptions,
  RotateOptions,
  UpdateKeyInput,
  VerifyOptions,
} from './api.js'
import { ClosedError } from './errors.js'
import { KeyFormat } from './format.js'
import { toStoreError } from './instance/store-errors.js'
import { Analytics } from './instance/analytics.js'
import type { AuditEntry, AuditLogOptions } from './instance/audit-trail.js'
import { EventSink } from './instance/events.js'
import { KeyFields } from './instance/key-fields.js'
import type { MigrationStatus } from './legacy/api.js'
import { type ImportBatchResult, type ImportKeyInput, type ImporterParts, importKey, importMany } from './legacy/importer.js'
import { configureLegacy } from './legacy/configure.js'
import { migrationStatus } from './legacy/status.js'
import { Lifecycle } from './instance/lifecycle.js'
import { RecordCache } from './instance/record-cache.js'
import { RecordWriter } from './instance/record-writer.js'
import { rotate, type RotationParts } from './instance/rotation.js'
import { Verifier } from './instance/verifier.js'
import { configRateLimit, configRateLimits, configRoles, configThrottle, optionNumber } from './config.js'
import { OwnerCache } from './rules/owner-cache.js'
import { type OwnersApi, ownersApi } from './rules/owners.js'
import { causeText } from './lib/cause-text.js'
import { LastUsedWriter } from './lib/last-used.js'
import { DigesterSet } from './lib/peppers.js'
import { Limits } from './limits.js'
import { currentDefaultLogger, routeEvents, warnOnce } from './logging.js'
import type { ApiKeyInfo, KeyStore } from './types.js'
import type { RoleTable } from './scopes.js'
import { toInfo } from './instance/view.js'
import type { VerifyResult } from './verify-result.js'
import type { MaintenanceReport } from './notify/maintenance.js'
import type { KeyUsageTotal, TopKeysOptions, UsageOptions, UsageReport } from './usage/reader.js'
import { validateOptionsBag } from './validate.js'

/**
 * Create a Keyward instance for one deployment prefix and store.
 *
 * @example
 * import { createKeyward, MemoryKeyStore } from '@keyward/core'
 *
 * const keyward = createKeyward<'messages:send' | 'contacts:sync'>({
 *   prefix: 'acme_live',
 *   store: new MemoryKeyStore(),
 *   pepper: process.env.KEYWARD_PEPPER, // ≥ 32 bytes
 * })
 * const { key, info } = await keyward.create({ name: 'HubSpot CRM sync', scopes: ['contacts:*'] })
 * const result = await keyward.verify(key, { scopes: ['contacts:sync'] })
 * if (!result.ok) return reply(401, result.message)
 */
export function createKeyward<S extends string = string>(options: KeywardOptions): Keyward<S> {
  return new KeywardInstance<S>(options)
}

/** One deployment: its configuration, validated once, and the parts that do the work. */
class KeywardInstance<S extends string> implements Keyward<S> {
  readonly prefix: string
  readonly pattern: RegExp
  readonly owners: OwnersApi
  readonly #format: KeyFormat
  readonly #cache: RecordCache<S>
  readonly #verifier: Verifier<S>
  readonly #lifecycle: Lifecycle<S>
  readonly #rotation: RotationParts
  readonly #lastUsed: LastUsedWriter | null
  readonly #store: KeyStore
  readonly #analytics: Analytics
  readonly #writer: RecordWriter
  readonly #importer: ImporterParts
  readonly #roles: RoleTable
  #closed = false

  constructor(options: KeywardOptions) {
    if (!options || typeof options !== 'object') throw new TypeError('createKeyward needs an options object')
    const format = (this.#format = new KeyFormat(options))
    this.prefix = format.prefix
    this.pattern = format.pattern
    const store = (this.#store = checkedStore(options.store))
    const digesters = new DigesterSet(options)
    if (options.pepper === undefined && options.peppers === undefined)
      warnOnce(
        'no-pepper',
        'No pepper is configured, so digests are plain SHA-256: anyone who can write one row of the key store can mint a ' +
          'working key. Pass a pepper of at least 32 bytes from your secret manager (pepper: process.env.KEYWARD_PEPPER), ' +
          'or pepper: false to choose plain SHA-256 on purpose and silence this warning.',
      )
    const now = options.now ?? Date.now
    if (options.hooks?.onEvent !== undefined && typeof options.hooks.onEvent !== 'function')
      throw new TypeError('hooks.onEvent must be a function')
    if (options.logger !== undefined && options.logger !== false && typeof options.logger !== 'function')
      throw new TypeError('logger must be a function, or false for no logging')
    const events = new EventSink(routeEvents(options.hooks?.onEvent, options.logger ?? currentDefaultLogger()), now)

    const cache = options.cache ?? {}
    if (cache !== false && cache.rememberVerifiedKeys !== undefined && typeof cache.rememberVerifiedKeys !== 'boolean')
      throw new TypeError('cache.rememberVerifiedKeys must be a boolean')
    const limits = new Limits(store, {
      rateLimit: options.rateLimit === undefined ? undefined : configRateLimit(options.rateLimit),
      rateLimits: configRateLimits(options.rateLimits),
      throttle: configThrottle(options.throttle),
    })
    const lastUsed = options.lastUsed ?? {}
    const lastUsedIntervalMs = lastUsed === false ? 0 : optionNumber('lastUsed.intervalMs', lastUsed.intervalMs, 60_000, 1)
    const roles = (this.#roles = configRoles(options.roles))
    const legacy = configureLegacy(options.legacy, format.idLength, digesters)
    const owners = new OwnerCache(store, events, {
      enabled: cache !== false,
      max: cache === false ? 1 : optionNumber('cache.max', cache.max, 10_000, 1),
      ttlMs: cache === false ? 0 : optionNumber('cache.ttlMs', cache.ttlMs, 30_000, 0),
    })
    const records = (this.#cache = new RecordCache<S>({
      owners,
      prefix: format.prefix,
      keyLength: format.keyLength,
      store,
      digesters,
      events,
      enabled: cache !== false,
      max: cache === false ? 1 : optionNumber('cache.max', cache.max, 10_000, 1),
      ttlMs: cache === false ? 0 : optionNumber('cache.ttlMs', cache.ttlMs, 30_000, 0),
      negativeTtlMs: cache === false ? 0 : optionNumber('cache.negativeTtlMs', cache.negativeTtlMs, 1_000, 0),
    }))
    this.#lastUsed =
      lastUsed === false
        ? null
        : new LastUsedWriter({
            intervalMs: lastUsedIntervalMs,
            write: (entries) => store.touch(entries),
            onError: (error) => events.emit({ type: 'store.error', operation: 'last_used', cause: causeText(error) }),
          })

    const isClosed = () => this.#closed
    const writer = (this.#writer = new RecordWriter({ format, store, digesters, cache: records as RecordCache<string>, isClosed }))
    const maintainer = { id: 'keyward:maintenance' }
    const analytics = (this.#analytics = new Analytics(options, {
      store,
      prefix: format.prefix,
      events,
      now,
      isKeyId: (id): id is string => writer.isIdShaped(id),
      disable: (id) => this.disable(id, { actor: maintainer }),
    }))
    this.#verifier = new Verifier<S>({
      format,
      store,
      digesters,
      cache: records,
      legacy,
      owners,
      roles,
      limits,
      lastUsed: this.#lastUsed,
      events,
      now,
      rememberVerifiedKeys: cache !== false && cache.rememberVerifiedKeys !== false,
      isClosed,
      usage: analytics.usage,
      metrics: analytics.metrics,
      onPredecessorUsed: (record, source) => {
        const event = {
          type: 'key.used_after_rotation' as const,
          keyId: record.id,
          ownerId: record.ownerId,
          successorId: record.rotatedToId!,
        }
        analytics.notifier
          .notify(`key.used_after_rotation:${record.id}`, source === undefined ? event : { ...event, source })
          .catch((error: unknown) => events.emit({ type: 'store.error', operation: 'notify', keyId: record.id, cause: causeText(error) }))
      },
    })
    const audit = analytics.audit
    const notifier = analytics.notifier
    const fields = new KeyFields({ limits, owners, roles })
    this.#importer = { format, digesters, lookup: legacy, fields, store, writer, cache: records, audit, events, now }
    this.#lifecycle = new Lifecycle<S>({ format, store, cache: records, fields, roles, writer, limits, events, audit, notifier, now })
    this.owners = ownersApi({ store, limits, audit, events, owners, now, assertOpen: () => writer.assertOpen() })
    this.#rotation = { format, store, writer, limits, events, audit, now }
  }

  looksLikeKey(candidate: unknown): boolean {
    return this.#format.looksLikeKey(candidate)
  }

  redact(text: string): string {
    return this.#format.redact(text)
  }

  verify(key: unknown, options?: VerifyOptions<S>): Promise<VerifyResult<S>> {
    return this.#verifier.verify(key, options)
  }

  create(input: CreateKeyInput<S>, options?: MutationOptions): Promise<CreatedKey<S>> {
    return this.#lifecycle.create(input, options)
  }

  get(id: string): Promise<ApiKeyInfo<S> | null> {
    return this.#lifecycle.get(id)
  }

  identify(key: string): Promise<ApiKeyInfo<S> | null> {
    return this.#lifecycle.identify(key)
  }

  list(options?: ListOptions): Promise<{ items: ApiKeyInfo<S>[]; nextCursor?: string }> {
    return this.#lifecycle.list(options)
  }

  update(id: string, input: UpdateKeyInput<S>, options?: MutationOptions): Promise<ApiKeyInfo<S>> {
    return this.#lifecycle.update(id, input, options)
  }

  disable(id: string, options?: MutationOptions): Promise<ApiKeyInfo<S>> {
    return this.#lifecycle.disable(id, options)
  }

  enable(id: string, options?: MutationOptions): Promise<ApiKeyInfo<S>> {
    return this.#lifecycle.enable(id, options)
  }

  revoke(id: string, options?: MutationOptions): Promise<ApiKeyInfo<S>> {
    return this.#lifecycle.revoke(id, options)
  }

  delete(id: string, options?: MutationOptions): Promise<void> {
    return this.#lifecycle.delete(id, options)
  }

  rotate(id: string, options?: RotateOptions, mutation?: MutationOptions): Promise<CreatedKey<S> & { previous: ApiKeyInfo<S> }> {
    return rotate<S>(this.#rotation, id, options, mutation)
  }

  async import(input: ImportKeyInput<S>, options?: MutationOptions): Promise<{ info: ApiKeyInfo<S> }> {
    const record = await importKey(this.#importer, input as ImportKeyInput, options)
    return { info: toInfo<S>(record, this.#importer.now(), this.#roles) }
  }

  async importMany(inputs: ImportKeyInput<S>[], options?: MutationOptions): Promise<ImportBatchResult<ApiKeyInfo<S>>> {
    const result = await importMany(this.#importer, inputs as ImportKeyInput[], options)
    const now = this.#importer.now()
    return { ...result, imported: result.imported.map((record) => toInfo<S>(record, now, this.#roles)) }
  }

  migrationStatus(): Promise<MigrationStatus> {
    this.#writer.assertOpen()
    return migrationStatus(this.#store, this.#format.prefix)
  }

  reportLeak(id: string, details?: { url?: string }, options?: MutationOptions): Promise<void> {
    return this.#lifecycle.reportLeak(id, details, options)
  }

  usage(options: UsageOptions): Promise<UsageReport> {
    this.#writer.assertOpen()
    return this.#analytics.reader.usage(options)
  }

  topKeys(options: TopKeysOptions): Promise<KeyUsageTotal[]> {
    this.#writer.assertOpen()
    return this.#analytics.reader.topKeys(options)
  }

  auditLog(options?: AuditLogOptions): Promise<{ items: AuditEntry[]; nextCursor?: string }> {
    this.#writer.assertOpen()
    return this.#analytics.audit.list(options)
  }

  runMaintenance(): Promise<MaintenanceReport> {
    this.#writer.assertOpen()
    return this.#analytics.runMaintenance()
  }

  startMaintenance(options: { intervalMs?: number } = {}): void {
    this.#writer.assertOpen()
    const fields = validateOptionsBag(options, 'options', ['intervalMs'])
    this.#analytics.startMaintenance(optionNumber('intervalMs', fields.intervalMs, 60_000, 1_000))
  }

  stopMaintenance(): void {
    this.#analytics.stopMaintenance()
  }

  async ready(): Promise<void> {
    if (this.#closed) throw new ClosedError()
    try {
      // An id of the right shape that no key has: the read exercises connection and schema.
      await this.#store.findById('0'.repeat(this.#format.idLength))
    } catch (error) {
      throw toStoreError('ready', error)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#analytics.close()
    await this.#lastUsed?.flush()
    await this.#cache.close()
  }
}

function checkedStore(store: KeyStore): KeyStore {
  for (const method of ['insert', 'findById', 'update', 'delete', 'list', 'touch'] as const)
    if (typeof store?.[method] !== 'function') throw new TypeError(`store must implement KeyStore: missing ${method}()`)
  return store
}
