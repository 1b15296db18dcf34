import type { MutationOptions } from '../analytics-api.js'
import { validateMutationOptions } from '../analytics-validate.js'
import type { CreatedKey, RotateOptions } from '../api.js'
import { ConflictError, InvalidStateError } from '../errors.js'
import type { KeyFormat } from '../format.js'
import { cryptoRandom } from '../lib/base62.js'
import { causeText } from '../lib/cause-text.js'
import { toStoreError } from './store-errors.js'
import { statusOf } from './view.js'
import type { Limits } from '../limits.js'
import { keyLimits, rateCounterName } from '../rules/charges.js'
import type { ApiKeyInfo, ApiKeyRecord, Credits, KeyStore } from '../types.js'
import { validateDuration, validateExpiresAt, validateOptionsBag } from '../validate.js'
import type { AuditTrail } from './audit-trail.js'
import type { EventSink } from './events.js'
import type { RecordWriter } from './record-writer.js'
import { toInfo } from './view.js'

export interface RotationParts {
  format: KeyFormat
  store: KeyStore
  writer: RecordWriter
  limits: Limits
  events: EventSink
  audit: AuditTrail
  now: () => number
}

const ROTATE_FIELDS = ['gracePeriodMs', 'expiresAt'] as const

/**
 * Replace a live key. The successor takes over the key's budget: its remaining credits move to
 * the successor in an atomic spend, the current rate-limit window's count is carried over, and
 * while the old key works out its grace period it spends from the successor's limits and credits
 * (see the verifier). Rotating never multiplies a budget.
 */
export async function rotate<S extends string>(
  p: RotationParts,
  id: string,
  options: RotateOptions = {},
  mutation?: MutationOptions,
): Promise<CreatedKey<S> & { previous: ApiKeyInfo<S> }> {
  p.writer.assertOpen()
  const fields = validateOptionsBag(options, 'options', ROTATE_FIELDS)
  const actor = validateMutationOptions(mutation)
  const now = p.now()
  const grace = validateDuration(fields.gracePeriodMs ?? 0, 'gracePeriodMs')
  const requestedExpiry = fields.expiresAt === undefined ? undefined : validateExpiresAt(fields.expiresAt, now)
  const old = await p.writer.require(id, 'rotate')
  const state = statusOf(old, now)
  if (state !== 'active')
    throw new InvalidStateError(id, `API key "${id}" is ${state}; only an active key can be rotated. Create a new key instead.`)
  if (old.rotatedToId !== null) throw new ConflictError(id, `API key "${id}" was already rotated; its successor is "${old.rotatedToId}".`)

  const oldExpiry = old.expiresAt !== null && old.expiresAt.getTime() < now + grace ? old.expiresAt : new Date(now + grace)
  // Reserve the rotation on the old record first (conditional on its revision): of two
  // concurrent rotations exactly one wins, and only the winner inserts a successor.
  const successorId = p.format.newId(cryptoRandom)
  const claimed = await p.writer.update(
    id,
    { rotatedToId: successorId, expiresAt: oldExpiry, updatedAt: new Date(now) },
    old.revision,
    'rotate',
  )
  if (claimed === null) throw new ConflictError(id, `API key "${id}" changed during rotation; it was not rotated. Try again.`)

  let created: { key: string; record: ApiKeyRecord }
  let credits: Credits | null = null
  try {
    credits = await takeCredits(p, old, now)
    const { name, ownerId, scopes, metadata, rateLimit, rateLimits, roles, allowedIps } = old
    const successor = { name, ownerId, scopes, metadata, rateLimit, rateLimits, roles, allowedIps, notBefore: null }
    const expiresAt = requestedExpiry !== undefined ? requestedExpiry : old.expiresAt
    // The rotation's audit entry goes with the successor's insert: the step that makes it final.
    const audit = () => p.audit.entry('key.rotated', now, { keyId: id, ownerId: old.ownerId }, actor, ['rotatedToId', 'expiresAt'])
    created = await p.writer.insertNew({ ...successor, expiresAt, credits }, now, id, successorId, audit)
  } catch (error) {
    const restore = { rotatedToId: null, expiresAt: old.expiresAt, updatedAt: new Date(now), ...(credits !== null && { credits }) }
    await p.writer.update(id, restore, claimed.revision, 'rotate').catch(() => undefined)
    throw error
  }
  await carryRateWindow(p, old, successorId, now)
  p.events.emit({ type: 'key.rotated', keyId: id, successorId, ownerId: old.ownerId, ...(actor && { actor }) })
  return { key: created.key, info: toInfo(created.record, now), previous: toInfo(claimed, now) }
}

/**
 * Move every credit left on `record` off it, atomically, and return them as the successor's
 * credits. Each step spends exactly what the store last said remains, so a spend racing the
 * rotation makes the step fail and retry with the new figure: no credit is counted twice.
 */
async function takeCredits(p: RotationParts, record: ApiKeyRecord, now: number): Promise<Credits | null> {
  if (record.credits === null || !p.limits.canSpendCredits) return record.credits
  const refill = record.credits.refill ?? null
  let taken = 0
  let ask = record.credits.remaining
  let refilledAt = record.credits.refilledAt
  for (let attempt = 0; attempt < 20 && ask > 0; attempt++) {
    const spend = await p.store.spendCredits!(record.id, ask, now).catch((error: unknown) => {
      throw toStoreError('rotate', error)
    })
    if (spend === null) break
    if (spend.nextRefillAt !== null && refill !== null) refilledAt = spend.nextRefillAt - refill.intervalMs
    if (spend.ok) taken += ask
    ask = spend.remaining
  }
  return { remaining: taken, refill, ...(refilledAt !== undefined && { refilledAt }) }
}

/** Count the old key's use in the current window of each of its limits against its successor, too. */
async function carryRateWindow(p: RotationParts, old: ApiKeyRecord, successorId: string, now: number): Promise<void> {
  if (!p.limits.canRateLimit) return
  try {
    for (const { name, windowMs } of keyLimits(old, p.limits.defaults)) {
      const { count } = await p.store.incrementCounter!(rateCounterName(old.id, name), 0, windowMs, now)
      if (count > 0) await p.store.incrementCounter!(rateCounterName(successorId, name), count, windowMs, now)
    }
  } catch (error) {
    p.events.emit({ type: 'store.error', operation: 'rotate', keyId: old.id, cause: causeText(error) })
  }
}
