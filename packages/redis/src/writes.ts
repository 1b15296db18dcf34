import {
  DuplicateKeyIdError,
  LimitExceededError,
  type ApiKeyPatch,
  type ApiKeyRecord,
  type AuditRecord,
  type InsertCap,
} from '@keyward/core/store'
import { hashToRecord, member, pairsToHash, patchToChanges, recordToPairs } from './codec.js'
import type { RedisConnection } from './connection.js'
import { ControlOps, releaseAudit, reserveAudit, type StepRunner } from './control-ops.js'

/** How long a capped insert's reservation counts against its owner's cap when the insert never finishes (server clock). */
const RESERVATION_MS = 60_000

/** What a record's indexes depend on. */
interface IndexState {
  id: string
  member: string
  ownerId: string | null
  prefix: string
  revision: number
  /** live: listed as live and counted against its owner's cap; dead: revoked; gone: deleted. */
  state: 'live' | 'dead' | 'gone'
  expiresAt: number | null
}

function stateOf(record: ApiKeyRecord, gone = false): IndexState {
  return {
    id: record.id,
    member: member(record.createdAt.getTime(), record.id),
    ownerId: record.ownerId,
    prefix: record.prefix,
    revision: record.revision,
    state: gone ? 'gone' : record.revokedAt === null ? 'live' : 'dead',
    expiresAt: record.expiresAt?.getTime() ?? null,
  }
}

/** The owner-slot step: the key's entries in its owner's indexes and cap, unless a later revision's step came first. */
export function ownerStep(conn: StepRunner, operation: string, s: IndexState, force: boolean): Promise<unknown> {
  if (s.ownerId === null) return Promise.resolve()
  const { layout } = conn
  const slot = layout.ownerSlot(s.ownerId)
  const { owner } = layout.recordIndexes(s.prefix, s.ownerId)
  const keys = [`${slot}rev`, `${slot}cap`, `${slot}cap:res`, ...owner.all, ...owner.live]
  const score = s.expiresAt === null ? '+inf' : String(s.expiresAt)
  const args = [s.id, s.member, String(s.revision), s.state, score, String(owner.all.length), force ? '1' : '0']
  return conn.script(operation, 'management', 'OWNER_SYNC', keys, args)
}

/** The key's entries in the global indexes, added to a control step. */
export function controlIndexes(ops: ControlOps, conn: StepRunner, s: IndexState): ControlOps {
  const { control } = conn.layout.recordIndexes(s.prefix, s.ownerId)
  for (const key of control.all)
    if (s.state === 'gone') ops.zrem(key, s.member)
    else ops.zadd(key, s.member)
  for (const key of control.live)
    if (s.state === 'live') ops.zadd(key, s.member)
    else ops.zrem(key, s.member)
  return ops
}

/**
 * After the record step (which published the change, or is announced first here with sharded pub/sub):
 * its owner's slot, then the control slot (indexes, audit entry).
 */
async function indexStep(conn: RedisConnection, operation: string, s: IndexState, force: boolean, audit?: AuditRecord): Promise<void> {
  await conn.announce(operation, [s.id])
  await ownerStep(conn, operation, s, force)
  const ops = controlIndexes(new ControlOps(conn), conn, s)
  if (audit) ops.audit(audit)
  await ops.run(operation)
}

/**
 * `KeyStore.insert`: reserve the audit id (control slot) and, with a cap, a place among the owner's
 * live keys (owner slot); write the record (its slot; a duplicate id gives both back); then index it.
 * Cut off after the record, the key works but is not listed (and its reservation lapses).
 */
export async function insertRecord(
  conn: RedisConnection,
  record: ApiKeyRecord,
  options?: { audit?: AuditRecord; cap?: InsertCap },
): Promise<void> {
  const audits = options?.audit ? [options.audit] : []
  const cap = options?.cap
  await reserveAudit(conn, 'insert', audits)
  const capSlot = cap !== undefined && record.ownerId !== null ? conn.layout.ownerSlot(record.ownerId) : undefined
  try {
    if (capSlot !== undefined) {
      // A duplicate id is told apart from a full owner before a place is reserved for it.
      if ((await conn.run('insert', 'management', () => conn.redis.exists(conn.layout.record(record.id)))) === 1)
        throw new DuplicateKeyIdError(record.id)
      const keys = [`${capSlot}cap`, `${capSlot}cap:res`]
      const args = [record.id, String(cap!.maxKeys), String(cap!.now), String(RESERVATION_MS)]
      if ((await conn.script<number>('insert', 'management', 'RESERVE_CAP', keys, args)) !== 1)
        throw new LimitExceededError(record.ownerId!, cap!.maxKeys)
    }
    try {
      if ((await conn.writeScript<number>('insert', 'INSERT', conn.layout.record(record.id), record.id, recordToPairs(record))) === 0)
        throw new DuplicateKeyIdError(record.id)
    } catch (error) {
      if (capSlot !== undefined)
        await conn.run('insert', 'management', () => conn.redis.zrem(`${capSlot}cap:res`, record.id)).catch(() => undefined)
      throw error
    }
  } catch (error) {
    await releaseAudit(conn, 'insert', audits)
    throw error
  }
  await indexStep(conn, 'insert', stateOf(record), true, options?.audit)
}

/** `KeyStore.update`: the record in its slot (revision checked), then its indexes and audit entry. */
export async function updateRecord(
  conn: RedisConnection,
  id: string,
  patch: ApiKeyPatch,
  options?: { expectedRevision?: number; audit?: AuditRecord },
): Promise<ApiKeyRecord | null> {
  const audits = options?.audit ? [options.audit] : []
  await reserveAudit(conn, 'update', audits)
  const { set, del } = patchToChanges(patch)
  const expected = options?.expectedRevision === undefined ? '' : String(options.expectedRevision)
  let pairs: string[] | null
  try {
    pairs = await conn.writeScript('update', 'UPDATE', conn.layout.record(id), id, [expected, set.length / 2, del.length, ...set, ...del])
  } catch (error) {
    await releaseAudit(conn, 'update', audits)
    throw error
  }
  const record = pairs === null ? null : hashToRecord(pairsToHash(pairs))
  if (record === null) {
    await releaseAudit(conn, 'update', audits)
    return null
  }
  await indexStep(conn, 'update', stateOf(record), false, options?.audit)
  return record
}

/** `KeyStore.delete`: the record in its slot, then its index entries and audit entry. */
export async function deleteRecord(conn: RedisConnection, id: string, options?: { audit?: AuditRecord }): Promise<boolean> {
  const audits = options?.audit ? [options.audit] : []
  await reserveAudit(conn, 'delete', audits)
  let record: ApiKeyRecord | null
  try {
    record = hashToRecord(pairsToHash(await conn.writeScript<string[]>('delete', 'DELETE', conn.layout.record(id), id, [])))
  } catch (error) {
    await releaseAudit(conn, 'delete', audits)
    throw error
  }
  if (record === null) {
    await releaseAudit(conn, 'delete', audits)
    return false
  }
  await indexStep(conn, 'delete', stateOf(record, true), false, options?.audit)
  return true
}

export { stateOf }
