import { decodeCursor, pageOf, type ApiKeyRecord, type StoreListPage, type StoreListQuery } from '@keyward/core/store'
import { hashToRecord, member, type KeyHash } from './codec.js'
import type { RedisConnection } from './connection.js'

/**
 * `KeyStore.list` on Redis: walk the narrowest index (the control slot's, or the owner's slot's; of
 * one deployment prefix or all; live or all records) newest first, and read each record from its
 * slot. An entry whose record is gone, or no longer matches the query (a change cut off before its
 * index step), is skipped, so a page is right even when an index is behind its records.
 */
export async function listRecords(conn: RedisConnection, query: StoreListQuery): Promise<StoreListPage> {
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor)
  const { layout } = conn
  const scope = query.ownerId === undefined ? layout.control('') : layout.ownerSlot(query.ownerId)
  const indexes = layout.indexes(scope, query.prefix)
  const index = query.includeRevoked ? indexes.all : indexes.live
  const want = query.limit + 1
  return conn.run('list', 'management', async () => {
    const found: ApiKeyRecord[] = []
    let max = after === null ? '+' : `(${member(after.createdAt, after.id)}`
    for (;;) {
      const members = await conn.redis.zrevrangebylex(index, max, '-', 'LIMIT', 0, want)
      const hashes = await Promise.all(members.map((m) => conn.redis.hgetall(layout.record(m.slice(16))) as Promise<KeyHash>))
      for (const hash of hashes) {
        const record = hashToRecord(hash)
        if (record === null || (query.prefix !== undefined && record.prefix !== query.prefix)) continue
        if ((query.ownerId !== undefined && record.ownerId !== query.ownerId) || (!query.includeRevoked && record.revokedAt !== null))
          continue
        found.push(record)
      }
      if (found.length >= want || members.length < want) break
      max = `(${members.at(-1)}`
    }
    return pageOf(found.slice(0, want), query.limit)
  })
}
