import type { MutationOptions } from '../analytics-api.js'
import { validateMutationOptions } from '../analytics-validate.js'
import type { CreateKeyInput } from '../api.js'
import { ConflictError, InvalidInputError } from '../errors.js'
import type { KeyFormat } from '../format.js'
import type { AuditTrail } from '../instance/audit-trail.js'
import type { EventSink } from '../instance/events.js'
import type { KeyFields } from '../instance/key-fields.js'
import type { RecordWriter } from '../instance/record-writer.js'
import { isDuplicateId, toStoreError } from '../instance/store-errors.js'
import type { DigesterSet } from '../lib/peppers.js'
import type { ApiKeyRecord, KeyStore } from '../types.js'
import { validateOptionsBag } from '../validate.js'
import { type ImportedDigest, importedSecret } from './import.js'
import type { LegacyLookup } from './lookup.js'

/** Input of `keyward.import`: a key's settings as for `create`, its history, and the key or its digest. */
export interface ImportKeyInput<S extends string = string> extends CreateKeyInput<S> {
  /** The key itself, when the other system still has it (or it is a Keyward key of this prefix). */
  key?: string
  /** What the other system stored instead, when the key itself is gone. */
  digest?: ImportedDigest
  /** When the other system made the key; not in the future. @default now */
  createdAt?: Date | number
  /** When the key was last used there, if known; not in the future. */
  lastUsedAt?: Date | number | null
}

export interface ImporterParts {
  format: KeyFormat
  digesters: DigesterSet
  lookup: LegacyLookup | null
  fields: KeyFields
  store: KeyStore
  writer: RecordWriter
  /** Forgets a cached "no such id" for the imported key's id. */
  cache: { invalidate(id: string): void }
  audit: AuditTrail
  events: EventSink
  now: () => number
}

const IMPORT_FIELDS = [
  'name',
  'ownerId',
  'scopes',
  'expiresAt',
  'metadata',
  'rateLimit',
  'credits',
  'rateLimits',
  'notBefore',
  'roles',
  'allowedIps',
  'key',
  'digest',
  'createdAt',
  'lastUsedAt',
] as const

/**
 * Store a key that exists elsewhere, without re-issuing it. Checked before anything is written; a
 * key imported twice is a `ConflictError` (the record's id follows from the key, so a re-run of an
 * import skips what it already brought over).
 */
export async function importKey(p: ImporterParts, input: ImportKeyInput, options?: MutationOptions): Promise<ApiKeyRecord> {
  p.writer.assertOpen()
  const fields = validateOptionsBag(input, 'input', IMPORT_FIELDS)
  const actor = validateMutationOptions(options)
  const now = p.now()
  const secret = importedSecret(fields, p.format, p.digesters, p.lookup)
  const record: ApiKeyRecord = {
    ...secret,
    prefix: p.format.prefix,
    ...p.fields.forNew(fields, now),
    createdAt: pastDate(fields.createdAt, 'createdAt', now) ?? new Date(now),
    updatedAt: new Date(now),
    disabledAt: null,
    revokedAt: null,
    lastUsedAt: pastDate(fields.lastUsedAt, 'lastUsedAt', now),
    rotatedFromId: null,
    rotatedToId: null,
    importedAt: new Date(now),
    revision: 0,
  }
  const changed = Object.keys(fields).filter((name) => fields[name] !== undefined && name !== 'key' && name !== 'digest')
  const audit = p.audit.entry('key.imported', now, { keyId: record.id, ownerId: record.ownerId }, actor, changed)
  try {
    await p.store.insert(record, audit && { audit })
  } catch (error) {
    if (isDuplicateId(error)) throw new ConflictError(record.id, `This key was imported before (as "${record.id}").`)
    throw toStoreError('import', error)
  } finally {
    p.cache.invalidate(record.id)
  }
  p.events.emit({ type: 'key.imported', keyId: record.id, ownerId: record.ownerId, ...(actor && { actor }) })
  return record
}

function pastDate(value: unknown, field: string, now: number): Date | null {
  if (value === undefined || value === null) return null
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Number.NaN
  if (!Number.isFinite(ms) || ms < 0 || ms > now)
    throw new InvalidInputError(field, 'must be a valid Date or epoch milliseconds, not in the future')
  return new Date(ms)
}
