import type { MutationOptions } from '../analytics-api.js'
import { validateMutationOptions } from '../analytics-validate.js'
import type { CreateKeyInput } from '../api.js'
import type { AuditActor, AuditRecord } from '../analytics-types.js'
import { ConflictError, InvalidInputError, KeywardError } from '../errors.js'
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
  const actor = validateMutationOptions(options)
  const now = p.now()
  const { record, audit } = importedRecord(p, input, now, actor)
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

/** What `importMany` did with each input: imported, already there (by id), or refused (by index). */
export interface ImportBatchResult<R = ApiKeyRecord> {
  imported: R[]
  /** Ids of keys imported before (a re-run skips them). */
  duplicates: string[]
  /** Inputs refused before anything was written, with why (`InvalidInputError`s). */
  failed: { index: number; error: KeywardError }[]
}

const MAX_BATCH = 1_000

/**
 * Import up to 1,000 keys at once: each is checked as by `importKey`; the valid ones are written in
 * one store call where the store has `insertMany` (one transaction), else one by one. A key already
 * imported is reported, not an error, so an interrupted import can simply be run again.
 */
export async function importMany(
  p: ImporterParts,
  inputs: readonly ImportKeyInput[],
  options?: MutationOptions,
): Promise<ImportBatchResult> {
  p.writer.assertOpen()
  if (!Array.isArray(inputs) || inputs.length > MAX_BATCH)
    throw new InvalidInputError('inputs', `must be an array of at most ${MAX_BATCH} keys`)
  const actor = validateMutationOptions(options)
  const now = p.now()
  const result: ImportBatchResult = { imported: [], duplicates: [], failed: [] }
  const made: { record: ApiKeyRecord; audit: AuditRecord | undefined }[] = []
  for (const [index, input] of inputs.entries())
    try {
      made.push(importedRecord(p, input, now, actor))
    } catch (error) {
      if (!(error instanceof KeywardError)) throw error
      result.failed.push({ index, error })
    }
  const inserted = new Set(await insertAll(p, made))
  for (const { record } of made) {
    p.cache.invalidate(record.id)
    if (!inserted.has(record.id)) result.duplicates.push(record.id)
    else {
      inserted.delete(record.id) // a key given twice in one batch: the second is the duplicate
      result.imported.push(record)
      p.events.emit({ type: 'key.imported', keyId: record.id, ownerId: record.ownerId, ...(actor && { actor }) })
    }
  }
  return result
}

/** Write the records; resolves to the ids that were new. */
async function insertAll(p: ImporterParts, made: { record: ApiKeyRecord; audit: AuditRecord | undefined }[]): Promise<string[]> {
  try {
    if (p.store.insertMany) {
      const audit = made.flatMap(({ audit }) => (audit ? [audit] : []))
      return (
        await p.store.insertMany(
          made.map(({ record }) => record),
          audit.length > 0 ? { audit } : undefined,
        )
      ).inserted
    }
    const inserted: string[] = []
    for (const { record, audit } of made)
      try {
        await p.store.insert(record, audit && { audit })
        inserted.push(record.id)
      } catch (error) {
        if (!isDuplicateId(error)) throw error
      }
    return inserted
  } catch (error) {
    throw toStoreError('import', error)
  }
}

/** The record (and audit entry) of one import, checked; throws `InvalidInputError` before any write. */
function importedRecord(p: ImporterParts, input: ImportKeyInput, now: number, actor: AuditActor | null) {
  const fields = validateOptionsBag(input, 'input', IMPORT_FIELDS)
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
  return { record, audit: p.audit.entry('key.imported', now, { keyId: record.id, ownerId: record.ownerId }, actor, changed) }
}

function pastDate(value: unknown, field: string, now: number): Date | null {
  if (value === undefined || value === null) return null
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Number.NaN
  if (!Number.isFinite(ms) || ms < 0 || ms > now)
    throw new InvalidInputError(field, 'must be a valid Date or epoch milliseconds, not in the future')
  return new Date(ms)
}
