/** The read-only views of one key: usage for its chart, and its audit log. */
import { bucketStart } from '../../usage-buckets.js'
import type { ApiKeyInfo } from '../../types.js'
import { jsonResponse, invalidInput } from './respond.js'
import { single, type Operation } from './operations.js'
import type { KeyView } from './routes.js'

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000
/** The chart ranges: the last 24 hours by hour, the last 30 days by day (both ending with the current bucket). */
const RANGES = {
  '24h': { granularity: 'hour', span: HOUR_MS, buckets: 24 },
  '30d': { granularity: 'day', span: DAY_MS, buckets: 30 },
} as const

/**
 * `GET /:id/usage?range=24h|30d`: verifications per bucket by outcome, and the key's last use
 * (when and from which address). `GET /:id/activity?limit&cursor`: the key's audit log, newest first.
 */
export async function onView(op: Operation, current: ApiKeyInfo, view: KeyView): Promise<Response> {
  const params = new URL(op.request.url).searchParams
  if (view === 'activity') {
    const limit = single(params, 'limit')
    const cursor = single(params, 'cursor')
    const page = await op.keyward.auditLog({
      keyId: current.id,
      ...(limit !== undefined && { limit: Number(limit) }),
      ...(cursor !== undefined && { cursor }),
    })
    return jsonResponse(200, page)
  }
  const name = single(params, 'range') ?? '24h'
  if (name !== '24h' && name !== '30d') throw invalidInput('range', 'range: must be "24h" or "30d"')
  const range = RANGES[name]
  const to = bucketStart(Date.now(), range.granularity) + range.span
  const { buckets } = await op.keyward.usage({
    keyId: current.id,
    from: to - range.buckets * range.span,
    to,
    granularity: range.granularity,
  })
  return jsonResponse(200, {
    range: name,
    granularity: range.granularity,
    buckets,
    lastUsedAt: current.lastUsedAt,
    lastUsedFrom: current.lastUsedFrom,
  })
}
