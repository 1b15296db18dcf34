import { ownerChangeId, type OwnerRecord, type WriteOptions } from '@keyward/core/store'
import { pairsToHash, type KeyHash } from './codec.js'
import type { RedisConnection } from './connection.js'
import { ControlOps, releaseAudit, reserveAudit } from './control-ops.js'

/**
 * Owners of a `RedisKeyStore`: one hash per owner, `owner` in its slot (see `layout.ts`). Every field is a
 * string; dates are epoch milliseconds, `maxKeys` a number, the rest JSON; an absent field is null.
 */

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
export async function readOwner(conn: RedisConnection, id: string): Promise<OwnerRecord | null> {
  return hashToOwner((await conn.run('getOwner', 'request', () => conn.redis.hgetall(conn.layout.owner(id)))) as KeyHash)
}

/**
 * `KeyStore.putOwner`: replace the owner's hash (keeping its `createdAt`) and increment its revision
 * in its slot, announcing `owner:<id>` (in that script, or right after it with sharded pub/sub), then
 * append the audit entry (reserved first) in the control slot.
 */
export async function writeOwner(conn: RedisConnection, owner: OwnerRecord, options?: WriteOptions): Promise<OwnerRecord> {
  const audits = options?.audit ? [options.audit] : []
  await reserveAudit(conn, 'putOwner', audits)
  let pairs: string[]
  try {
    pairs = await conn.writeScript<string[]>('putOwner', 'PUT_OWNER', conn.layout.owner(owner.id), ownerChangeId(owner.id), [
      String(owner.createdAt.getTime()),
      ...ownerToPairs(owner),
    ])
  } catch (error) {
    await releaseAudit(conn, 'putOwner', audits)
    throw error
  }
  await conn.announce('putOwner', [ownerChangeId(owner.id)])
  const ops = new ControlOps(conn)
  if (options?.audit) ops.audit(options.audit)
  await ops.run('putOwner')
  return hashToOwner(pairsToHash(pairs))!
}
