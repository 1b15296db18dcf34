import {
  type ApiKeyRecord,
  type AuditRecord,
  sqliteAuditByKey as auditByKey,
  sqliteInsertManyResult as insertManyResult,
} from '@keyward/core/store'
import { recordToPairs } from './codec.js'
import type { RedisConnection } from './connection.js'
import { ControlOps, releaseAudit, reserveAudit } from './control-ops.js'
import { controlIndexes, ownerStep, stateOf } from './writes.js'

/**
 * `KeyStore.insertMany` on Redis: reserve every audit id first (one taken fails the call with nothing
 * written), write each record whose id is new in its own slot, announcing it (an id repeated in
 * `records` counts once, its first copy), index the new ones in their owners' slots, and then, in one
 * control-slot step, index them globally, append their audit entries and give back the reservations
 * of the duplicates' entries. Callers pass chunks (`keyward import` passes 1,000).
 */
export async function insertMany(
  conn: RedisConnection,
  records: ApiKeyRecord[],
  audit: AuditRecord[] | undefined,
): Promise<{ inserted: string[]; duplicates: string[] }> {
  const auditsOf = auditByKey(audit)
  const entries = [...new Set(records.map((record) => record.id))].flatMap((id) => auditsOf.get(id) ?? [])
  await reserveAudit(conn, 'insertMany', entries)
  const seen = new Set<string>()
  let inserted: boolean[]
  try {
    inserted = await Promise.all(
      records.map(async (record) => {
        if (seen.has(record.id)) return false
        seen.add(record.id)
        return (
          (await conn.writeScript<number>('insertMany', 'INSERT', conn.layout.record(record.id), record.id, recordToPairs(record))) === 1
        )
      }),
    )
  } catch (error) {
    await releaseAudit(conn, 'insertMany', entries)
    throw error
  }
  const added = records.filter((_, i) => inserted[i])
  await conn.announce(
    'insertMany',
    added.map((record) => record.id),
  )
  await Promise.all(added.map((record) => ownerStep(conn, 'insertMany', stateOf(record), true)))
  const ops = new ControlOps(conn)
  const done = new Set<string>()
  for (const record of added) {
    controlIndexes(ops, conn, stateOf(record))
    for (const entry of auditsOf.get(record.id) ?? []) ops.audit(entry)
    done.add(record.id)
  }
  for (const entry of entries) if (!done.has(entry.keyId!)) ops.unreserve(entry.id)
  await ops.run('insertMany')
  return insertManyResult(records, inserted)
}
