import type { AuditQuery, AuditRecord } from '@keyward/core/store'
import { member } from './codec.js'

/**
 * The audit log's keys under namespace `ns`: `audit` (id → the entry's JSON) and sorted sets of
 * members (`member(at, id)`, so lex order is time then id) for every entry and per deployment
 * prefix, per prefix and key, owner or actor. A deployment prefix has no `:`, so names never clash.
 */
export function auditHash(ns: string): string {
  return `${ns}audit`
}

const index = (ns: string, prefix: string, kind: 'k' | 'o' | 'a', value: string): string => `${ns}audit:${kind}:${prefix}:${value}`
const prefixIndex = (ns: string, prefix: string): string => `${ns}audit:p:${prefix}`

/** The index of every entry, for pruning. */
export const allAuditIndex = (ns: string): string => `${ns}audit:all`

/** The indexes an entry belongs to. */
export function auditIndexes(ns: string, entry: AuditRecord): string[] {
  const keys = [allAuditIndex(ns), prefixIndex(ns, entry.prefix)]
  if (entry.keyId !== null) keys.push(index(ns, entry.prefix, 'k', entry.keyId))
  if (entry.ownerId !== null) keys.push(index(ns, entry.prefix, 'o', entry.ownerId))
  if (entry.actor !== null) keys.push(index(ns, entry.prefix, 'a', entry.actor.id))
  return keys
}

/** The narrowest index that holds every entry a query can match (the script filters on the rest). */
export function queryIndex(ns: string, query: AuditQuery): string {
  if (query.keyId !== undefined) return index(ns, query.prefix, 'k', query.keyId)
  if (query.ownerId !== undefined) return index(ns, query.prefix, 'o', query.ownerId)
  if (query.actorId !== undefined) return index(ns, query.prefix, 'a', query.actorId)
  return prefixIndex(ns, query.prefix)
}

/** An entry's member in its indexes. */
export const auditMember = (entry: AuditRecord): string => member(entry.at.getTime(), entry.id)

export function encodeAudit(entry: AuditRecord): string {
  const { id, at, action, prefix, keyId, ownerId, actor, fields } = entry
  return JSON.stringify({ id, at: at.getTime(), action, prefix, keyId, ownerId, actor, fields })
}

export function decodeAudit(json: string): AuditRecord {
  const { at, ...rest } = JSON.parse(json) as Omit<AuditRecord, 'at'> & { at: number }
  return { ...rest, at: new Date(at) }
}

/** The latest time a 15-digit member holds. */
const LAST = 999_999_999_999_999

/**
 * The lex range `[min, max]` of members at or after `from` and before `to` (epoch milliseconds,
 * any finite number), before the cursor position `after` when paging; null when empty.
 */
export function memberRange(
  from: number | undefined,
  to: number | undefined,
  after: { createdAt: number; id: string } | undefined,
): { min: string; max: string } | null {
  if ((from !== undefined && from > LAST) || (to !== undefined && to <= 0)) return null
  const min = from === undefined || from <= 0 ? '-' : `[${member(Math.ceil(from), '')}`
  let max = to === undefined || to > LAST ? '+' : `(${member(Math.ceil(to), '')}`
  const cap = after === undefined || after.createdAt > LAST ? undefined : `(${member(after.createdAt, after.id)}`
  if (cap !== undefined && (max === '+' || cap < max)) max = cap
  return { min, max }
}
