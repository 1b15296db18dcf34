import {
  decodeCursor,
  encodeCursor,
  usageBuckets,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
  type DeliveryOutcome,
  type LedgerEntry,
  type PendingNotification,
  type UsageCutoffs,
  type UsageGranularity,
  type UsageIncrement,
  type UsageOutcome,
  type UsageQuery,
  type UsageRow,
} from '@keyward/core/store'
import type { ChainableCommander, Redis } from 'ioredis'
import type * as lua from './analytics-scripts.js'
import { allAuditIndex, auditHash, auditIndexes, auditMember, decodeAudit, encodeAudit, memberRange, queryIndex } from './audit-codec.js'
import { member } from './codec.js'

/** How the store runs commands: with its schema check, deadline and error wrapping (management path). */
export interface AnalyticsRunner {
  run<T>(operation: string, command: () => Promise<T>): Promise<T>
  script<T>(operation: string, name: keyof typeof lua, keys: string[], args: string[]): Promise<T>
}

/** Increments per script call, entries per prune round trip. */
const BATCH = 500
const GRANULARITIES: UsageGranularity[] = ['minute', 'hour', 'day']

/**
 * Usage counts, the audit log, the notification ledger and leases of a `RedisKeyStore`, under its
 * namespace `ns`:
 * - `usage:<granularity>:<start>:<prefix>`: a hash of `[keyId, ownerId, outcome]` (JSON) → count;
 *   `usage:idx:<granularity>:<prefix>` the bucket starts (sorted set); `usage:prefixes` the prefixes;
 *   `usage:batches` the applied batch chunk ids (`<batchId>.<index>`), scored by earliest minute.
 * - `audit`: id → entry JSON, with sorted-set indexes (see `audit-codec.ts`).
 * - `ntf`: id → notification JSON; `ntf:att` id → failed attempts; `ntf:due` pending ids scored by
 *   when each is next free; `ntf:done` delivered or never-pending ids scored by creation.
 * - `lease:<name>`: a hash of holder and until.
 */
export class RedisAnalytics {
  readonly #redis: Redis
  readonly #ns: string
  readonly #runner: AnalyticsRunner

  constructor(redis: Redis, ns: string, runner: AnalyticsRunner) {
    this.#redis = redis
    this.#ns = ns
    this.#runner = runner
  }

  #bucket(granularity: UsageGranularity, start: string | number, prefix: string): string {
    return `${this.#ns}usage:${granularity}:${start}:${prefix}`
  }

  #bucketIndex(granularity: UsageGranularity, prefix: string): string {
    return `${this.#ns}usage:idx:${granularity}:${prefix}`
  }

  /** Applied usage batch (chunk) ids, scored by their earliest minute. */
  get #batches(): string {
    return `${this.#ns}usage:batches`
  }

  get #ledger(): string[] {
    const n = `${this.#ns}ntf`
    return [n, `${n}:att`, `${n}:due`, `${n}:done`]
  }

  /**
   * One script call per chunk of {@link BATCH} increments; with a `batchId`, chunk `i` is applied at
   * most once under the id `<batchId>.<i>` (a retry sends the same increments in the same order), so a
   * batch cut off after some chunks resumes where it stopped.
   */
  async addUsage(increments: UsageIncrement[], batchId?: string): Promise<void> {
    for (let i = 0; i < increments.length; i += BATCH) {
      const chunk = increments.slice(i, i + BATCH)
      const keys = [`${this.#ns}usage:prefixes`, this.#batches]
      const id = batchId === undefined ? '' : `${batchId}.${i / BATCH}`
      const args = [id, String(Math.min(...chunk.map((increment) => increment.minute)))]
      for (const { keyId, ownerId, prefix, minute, outcome, count } of chunk)
        for (const [granularity, start] of usageBuckets(minute)) {
          keys.push(this.#bucket(granularity, start, prefix), this.#bucketIndex(granularity, prefix))
          args.push(String(start), JSON.stringify([keyId, ownerId, outcome]), String(count), prefix)
        }
      await this.#runner.script('addUsage', 'ADD_USAGE', keys, args)
    }
  }

  async readUsage(query: UsageQuery): Promise<UsageRow[]> {
    const { prefix, granularity, from, to, keyId, ownerId } = query
    return this.#runner.run('readUsage', async () => {
      const starts = await this.#redis.zrangebyscore(this.#bucketIndex(granularity, prefix), from, `(${to}`)
      const pipeline = this.#redis.pipeline()
      for (const start of starts) pipeline.hgetall(this.#bucket(granularity, start, prefix))
      const hashes = (await exec(pipeline)) as Record<string, string>[]
      const rows: UsageRow[] = []
      hashes.forEach((hash, i) => {
        for (const [field, count] of Object.entries(hash)) {
          const [k, o, outcome] = JSON.parse(field) as [string, string | null, UsageOutcome]
          if ((keyId === undefined || k === keyId) && (ownerId === undefined || o === ownerId))
            rows.push({ keyId: k, ownerId: o, start: Number(starts[i]), outcome, count: Number(count) })
        }
      })
      return rows
    })
  }

  /** Removes buckets before their granularity's cutoff, and batch ids whose earliest minute is before `cutoffs.minute`. */
  async pruneUsage(cutoffs: UsageCutoffs): Promise<void> {
    const prefixes = await this.#runner.run('pruneUsage', () => this.#redis.smembers(`${this.#ns}usage:prefixes`))
    for (const prefix of prefixes)
      for (const granularity of GRANULARITIES) {
        const index = this.#bucketIndex(granularity, prefix)
        for (let more = true; more; )
          more = await this.#runner.run('pruneUsage', async () => {
            const starts = await this.#redis.zrangebyscore(index, '-inf', `(${cutoffs[granularity]}`, 'LIMIT', 0, BATCH)
            if (starts.length === 0) return false
            // One transaction: an add to a bucket lands wholly before (and is removed) or after (and is indexed again).
            await exec(
              this.#redis
                .multi()
                .del(...starts.map((start) => this.#bucket(granularity, start, prefix)))
                .zrem(index, ...starts),
            )
            return starts.length === BATCH
          })
      }
    // After the buckets: an id outlives its minute buckets, so a retry meanwhile is still skipped.
    for (let more = true; more; )
      more = await this.#runner.run('pruneUsage', async () => {
        const ids = await this.#redis.zrangebyscore(this.#batches, '-inf', `(${cutoffs.minute}`, 'LIMIT', 0, BATCH)
        if (ids.length > 0) await this.#redis.zrem(this.#batches, ...ids)
        return ids.length === BATCH
      })
  }

  async appendAudit(entries: AuditRecord[]): Promise<void> {
    if (entries.length === 0) return
    const keys = [auditHash(this.#ns)]
    const args: string[] = []
    for (const entry of entries) {
      const indexes = auditIndexes(this.#ns, entry)
      keys.push(...indexes)
      args.push(String(indexes.length), auditMember(entry), encodeAudit(entry))
    }
    const taken = await this.#runner.script<string>('appendAudit', 'APPEND_AUDIT', keys, args)
    if (taken !== '') throw auditIdTaken(taken)
  }

  async listAudit(query: AuditQuery): Promise<AuditPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
    const range = memberRange(query.from, query.to, after)
    if (range === null) return { items: [] }
    const { prefix, keyId, ownerId, actorId } = query
    const found = await this.#runner.script<string[]>(
      'listAudit',
      'LIST_AUDIT',
      [queryIndex(this.#ns, query), auditHash(this.#ns)],
      [range.max, range.min, String(query.limit + 1), JSON.stringify({ prefix, keyId, ownerId, actorId })],
    )
    const items = found.slice(0, query.limit).map(decodeAudit)
    const last = items.at(-1)
    return found.length > query.limit && last
      ? { items, nextCursor: encodeCursor({ createdAt: last.at.getTime(), id: last.id }) }
      : { items }
  }

  async pruneAudit(before: number): Promise<void> {
    const all = allAuditIndex(this.#ns)
    const hash = auditHash(this.#ns)
    if (before <= 0) return
    const max = before > 999_999_999_999_999 ? '+' : `(${member(Math.ceil(before), '')}`
    for (let more = true; more; )
      more = await this.#runner.run('pruneAudit', async () => {
        const members = await this.#redis.zrangebylex(all, '-', max, 'LIMIT', 0, BATCH)
        if (members.length === 0) return false
        const ids = members.map((m) => m.slice(16))
        const jsons = await this.#redis.hmget(hash, ...ids)
        const tx = this.#redis
          .multi()
          .hdel(hash, ...ids)
          .zrem(all, ...members)
        jsons.forEach((json, i) => {
          if (json !== null) for (const index of auditIndexes(this.#ns, decodeAudit(json)).slice(1)) tx.zrem(index, members[i]!)
        })
        await exec(tx)
        return members.length === BATCH
      })
  }

  async recordNotifications(entries: LedgerEntry[]): Promise<string[]> {
    if (entries.length === 0) return []
    const args: string[] = []
    for (const { id, type, keyId, payload, createdAt, pending } of entries)
      args.push(id, JSON.stringify({ createdAt, id, type, keyId, payload }), String(createdAt), pending ? '1' : '0')
    const [ledger, , due, done] = this.#ledger
    return this.#runner.script('recordNotifications', 'RECORD_NOTIFICATIONS', [ledger!, due!, done!], args)
  }

  async claimNotifications(now: number, leaseMs: number, limit: number): Promise<PendingNotification[]> {
    const [ledger, attempts, due] = this.#ledger
    const claimed = await this.#runner.script<[string, string][]>(
      'claimNotifications',
      'CLAIM_NOTIFICATIONS',
      [ledger!, attempts!, due!],
      [String(now), String(now + leaseMs), String(limit)],
    )
    return claimed.map(([json, tries]) => ({ ...(JSON.parse(json) as Omit<PendingNotification, 'attempts'>), attempts: Number(tries) }))
  }

  async settleNotification(id: string, outcome: DeliveryOutcome): Promise<void> {
    const next = outcome.delivered ? '0' : String(outcome.nextAttemptAt)
    await this.#runner.script('settleNotification', 'SETTLE_NOTIFICATION', this.#ledger, [id, outcome.delivered ? '1' : '0', next])
  }

  async pruneNotifications(before: number): Promise<void> {
    const [ledger, attempts, , done] = this.#ledger
    for (let pruned = BATCH; pruned === BATCH; )
      pruned = await this.#runner.script<number>(
        'pruneNotifications',
        'PRUNE_NOTIFICATIONS',
        [ledger!, attempts!, done!],
        [String(before), String(BATCH)],
      )
  }

  async acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    const keys = [`${this.#ns}lease:${name}`]
    return (await this.#runner.script<number>('acquireLease', 'ACQUIRE_LEASE', keys, [holder, String(now), String(now + ttlMs)])) === 1
  }
}

/** Why a change or append was refused: its audit entry's id is taken (nothing was changed). */
export function auditIdTaken(id: string): Error {
  return new Error(`The audit entry ${id} exists; nothing was changed`)
}

/** Run a pipeline or transaction; reject with the first command's error. */
async function exec(commands: ChainableCommander): Promise<unknown[]> {
  const replies = await commands.exec()
  if (replies === null) throw new Error('The Redis transaction was aborted')
  return replies.map(([error, reply]) => {
    if (error) throw error
    return reply
  })
}
