import { ownerChangeId, type OwnerRecord, type WriteOptions } from '@keyward/core/store'
import { auditIdTaken } from './analytics.js'
import { auditArgs } from './audit-codec.js'
import { pairsToHash, type KeyHash } from './codec.js'
import type { RedisConnection } from './connection.js'

/**
 * Owners of a `RedisKeyStore`: one hash per owner, `owner:<id>` under the namespace. Every field is a
 * string; dates are epoch milliseconds, `maxKeys` a number, the rest JSON; an absent field is null.
 */
export const ownerKey = (ns: string, id: string): string => `${ns}owner:${id}`

const JSON_FIELDS = ['rateLimits', 'credits', 'scopes', 'allowedIps'] as const

/** Field/value pairs of an owner, without `createdAt` and `revision` (the script sets them). */
function ownerToPairs(owner: OwnerRecord): string[] {
  const pairs = ['id', owner.id, 'updatedAt', String(owner.updatedAt.getTime())]
  if (owner.maxKeys !== null) pairs.push('maxKeys', String(owner.maxKeys))
  for (const f of JSON_FIELDS) if (owner[f] !== null) pairs.push(f, JSON.stringify(owner[f]))
  return pairs
}

function hashToOwner(h: KeyHash): OwnerRecord | null {
  if (h.id === undefined) return null
  const json = (f: (typeof JSON_FIELDS)[number]) => (h[f] === undefined ? null : JSON.parse(h[f]))
  return {
    id: h.id,
    rateLimits: json('rateLimits') ?? [],
    credits: json('credits'),
    maxKeys: h.maxKeys === undefined ? null : Number(h.maxKeys),
    scopes: json('scopes'),
    allowedIps: json('allowedIps'),
    createdAt: new Date(Number(h.createdAt)),
    updatedAt: new Date(Number(h.updatedAt)),
    revision: Number(h.revision ?? 0),
  }
}

/** `KeyStore.getOwner`: the owner with this id, or null. */
export async function readOwner(conn: RedisConnection, ns: string, id: string): Promise<OwnerRecord | null> {
  return hashToOwner((await conn.run('getOwner', 'request', () => conn.redis.hgetall(ownerKey(ns, id)))) as KeyHash)
}

/**
 * `KeyStore.putOwner`: replace the owner's hash (keeping its `createdAt`), increment its revision,
 * append the audit entry and publish `owner:<id>` on `channel`, in one script.
 */
export async function writeOwner(
  conn: RedisConnection,
  ns: string,
  channel: string,
  owner: OwnerRecord,
  options?: WriteOptions,
): Promise<OwnerRecord> {
  const audit = auditArgs(ns, options?.audit)
  const pairs = await conn.script<string[] | number>(
    'putOwner',
    'management',
    'PUT_OWNER',
    [ownerKey(ns, owner.id), ...audit.keys],
    [channel, ownerChangeId(owner.id), ...audit.args, String(owner.createdAt.getTime()), ...ownerToPairs(owner)],
  )
  if (typeof pairs === 'number') throw auditIdTaken(options!.audit!.id)
  return hashToOwner(pairsToHash(pairs))!
}
