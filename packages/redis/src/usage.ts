import {
  usageBuckets,
  type UsageCutoffs,
  type UsageGranularity,
  type UsageIncrement,
  type UsageOutcome,
  type UsageQuery,
  type UsageRow,
} from '@keyward/core/store'
import type { RedisConnection } from './connection.js'
import { ControlOps } from './control-ops.js'

/** Increments per step, keys read or pruned at a time. */
const BATCH = 500
const GRANULARITIES: UsageGranularity[] = ['minute', 'hour', 'day']

/**
 * Usage counts of a `RedisKeyStore`, in each key's slot: `u:<granularity>` (a hash of
 * `[start, prefix, ownerId, outcome]` JSON → count), `u:<granularity>:idx` (its fields by start) and
 * `u:batches` (the batch chunk ids applied to this key, scored by earliest minute). The control slot
 * lists which keys have usage, per deployment prefix (`u:keys:<prefix>`), and the prefixes (`u:prefixes`).
 */
export class RedisUsage {
  readonly #conn: RedisConnection

  constructor(conn: RedisConnection) {
    this.#conn = conn
  }

  #keys(id: string): string[] {
    const slot = this.#conn.layout.keySlot(id)
    return [`${slot}u:batches`, ...GRANULARITIES.flatMap((g) => [`${slot}u:${g}`, `${slot}u:${g}:idx`])]
  }

  #listed(prefix: string): string {
    return this.#conn.layout.control(`u:keys:${prefix}`)
  }

  /**
   * Per chunk of {@link BATCH} increments: list the keys (control slot) first, so no usage is ever
   * unlisted, then one step per key in its slot. With a `batchId`, each key's part of chunk `i` is
   * applied at most once under `<batchId>.<i>`, so a retry of a batch cut off half way adds only what is missing.
   */
  async addUsage(increments: UsageIncrement[], batchId?: string): Promise<void> {
    for (let i = 0; i < increments.length; i += BATCH) {
      const chunk = increments.slice(i, i + BATCH)
      const ops = new ControlOps(this.#conn)
      const listed = new Set<string>()
      for (const { keyId, prefix } of chunk) {
        if (!listed.has(prefix)) ops.sadd(this.#conn.layout.control('u:prefixes'), prefix)
        if (!listed.has(`${prefix}\n${keyId}`)) ops.sadd(this.#listed(prefix), keyId)
        listed.add(prefix).add(`${prefix}\n${keyId}`)
      }
      await ops.run('addUsage')
      const byKey = new Map<string, UsageIncrement[]>()
      for (const increment of chunk) byKey.set(increment.keyId, [...(byKey.get(increment.keyId) ?? []), increment])
      const id = batchId === undefined ? '' : `${batchId}.${i / BATCH}`
      // Every key's part of a chunk is scored by the chunk's earliest minute, so pruning forgets a chunk id everywhere at once.
      const earliest = String(Math.min(...chunk.map((increment) => increment.minute)))
      await Promise.all(
        [...byKey].map(([keyId, own]) => {
          const args = [id, earliest]
          for (const { ownerId, prefix, minute, outcome, count } of own)
            for (const [granularity, start] of usageBuckets(minute))
              args.push(
                String(GRANULARITIES.indexOf(granularity) + 1),
                String(start),
                JSON.stringify([start, prefix, ownerId, outcome]),
                String(count),
              )
          return this.#conn.script('addUsage', 'management', 'ADD_USAGE', this.#keys(keyId), args)
        }),
      )
    }
  }

  async readUsage(query: UsageQuery): Promise<UsageRow[]> {
    const { prefix, granularity, from, to, keyId, ownerId } = query
    const ids = keyId !== undefined ? [keyId] : await this.#members(this.#listed(prefix))
    const g = GRANULARITIES.indexOf(granularity)
    const rows: UsageRow[] = []
    for (let at = 0; at < ids.length; at += BATCH) {
      const replies = await Promise.all(
        ids.slice(at, at + BATCH).map((id) => {
          const keys = this.#keys(id).slice(1 + 2 * g, 3 + 2 * g)
          return this.#conn.script<string[]>('readUsage', 'management', 'READ_USAGE', keys, [String(from), String(to)])
        }),
      )
      replies.forEach((pairs, n) => {
        for (let i = 0; i < pairs.length; i += 2) {
          const [start, p, o, outcome] = JSON.parse(pairs[i]!) as [number, string, string | null, UsageOutcome]
          if (p === prefix && (ownerId === undefined || o === ownerId))
            rows.push({ keyId: ids[at + n]!, ownerId: o, start, outcome, count: Number(pairs[i + 1]) })
        }
      })
    }
    return rows
  }

  /** Removes buckets before their granularity's cutoff, and batch ids whose earliest minute is before `cutoffs.minute`, key by key. */
  async pruneUsage(cutoffs: UsageCutoffs): Promise<void> {
    const layout = this.#conn.layout
    const ids = new Set<string>()
    for (const prefix of await this.#members(layout.control('u:prefixes')))
      for (const id of await this.#members(this.#listed(prefix))) ids.add(id)
    const all = [...ids]
    const args = [cutoffs.minute, cutoffs.hour, cutoffs.day, cutoffs.minute].map(String)
    for (let at = 0; at < all.length; at += BATCH)
      await Promise.all(
        all.slice(at, at + BATCH).map((id) => this.#conn.script('pruneUsage', 'management', 'PRUNE_USAGE', this.#keys(id), args)),
      )
  }

  /** Every member of a set, read in pages (SSCAN). */
  async #members(key: string): Promise<string[]> {
    const out: string[] = []
    let cursor = '0'
    do {
      const [next, page] = await this.#conn.run('readUsage', 'management', () => this.#conn.redis.sscan(key, cursor, 'COUNT', 1000))
      out.push(...page)
      cursor = next
    } while (cursor !== '0')
    return [...new Set(out)]
  }
}
