import type { ApiKeyRecord, StoreListPage } from '../types.js'
import { encodeCursor } from './cursor.js'

/**
 * The page a store returns from rows it fetched with `limit + 1` (newest first): the first `limit`
 * records, and a cursor after the last of them when there was one more row.
 *
 * @example
 * const rows = await db.query(sql, [..., query.limit + 1])
 * return pageOf(rows.map(rowToRecord), query.limit)
 */
export function pageOf(records: readonly ApiKeyRecord[], limit: number): StoreListPage {
  const items = records.slice(0, limit)
  const last = items[items.length - 1]
  return records.length > limit && last
    ? { items, nextCursor: encodeCursor({ createdAt: last.createdAt.getTime(), id: last.id }) }
    : { items }
}
