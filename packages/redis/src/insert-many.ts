import type { ApiKeyRecord, AuditRecord } from '@keyward/core/store'
import { auditIdTaken } from './analytics.js'
import { auditHash, auditIndexes, auditMember, encodeAudit } from './audit-codec.js'
import { member, recordToPairs } from './codec.js'
import type { RedisConnection } from './connection.js'

/** Records per script run: each run is one atomic step that blocks Redis for a few milliseconds. */
const CHUNK = 1_000

/** Which records `insertMany` inserted and which it skipped because their id existed. */
export interface InsertManyResult {
  inserted: string[]
  duplicates: string[]
}

/**
 * Insert every record whose id is new, with the audit entries naming it (`keyId`), each record and
 * its entries in one atomic step; report the ids that existed (or came earlier in `records`). Runs
 * in chunks of {@link CHUNK}; an audit entry whose id exists stops its chunk before anything of it
 * is written (earlier chunks stay).
 */
export async function insertMany(
  conn: RedisConnection,
  ns: string,
  channel: string,
  records: ApiKeyRecord[],
  audit: AuditRecord[] = [],
): Promise<InsertManyResult> {
  const auditsOf = new Map<string, AuditRecord[]>()
  for (const entry of audit) if (entry.keyId !== null) auditsOf.set(entry.keyId, [...(auditsOf.get(entry.keyId) ?? []), entry])
  const result: InsertManyResult = { inserted: [], duplicates: [] }
  for (let start = 0; start < records.length; start += CHUNK) {
    const chunk = records.slice(start, start + CHUNK)
    const args = [ns, channel, auditHash(ns)]
    for (const record of chunk) args.push(...recordArgs(ns, record, auditsOf.get(record.id) ?? []))
    const reply = await conn.script<number[] | string>('insertMany', 'management', 'INSERT_MANY', [], args)
    if (typeof reply === 'string') throw auditIdTaken(reply)
    for (const [n, record] of chunk.entries()) (reply[n] === 1 ? result.inserted : result.duplicates).push(record.id)
  }
  return result
}

/** One record's slots in INSERT_MANY's ARGV. */
function recordArgs(ns: string, record: ApiKeyRecord, entries: AuditRecord[]): string[] {
  const args = [
    record.id,
    member(record.createdAt.getTime(), record.id),
    record.ownerId === null ? '' : `o${record.ownerId}`,
    record.revokedAt === null ? '0' : '1',
    record.prefix,
    String(entries.length),
  ]
  for (const entry of entries) {
    const indexes = auditIndexes(ns, entry)
    args.push(auditMember(entry), encodeAudit(entry), String(indexes.length), ...indexes)
  }
  args.push(JSON.stringify(recordToPairs(record)))
  return args
}
