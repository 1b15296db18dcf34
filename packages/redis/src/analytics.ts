import {
  decodeCursor,
  encodeCursor,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
  type DeliveryOutcome,
  type LedgerEntry,
  type PendingNotification,
} from '@keyward/core/store'
import type { ChainableCommander } from 'ioredis'
import type { RedisClient } from './client.js'
import type * as lua from './analytics-scripts.js'
import { allAuditIndex, auditHash, auditIndexes, auditMember, decodeAudit, encodeAudit, memberRange, queryIndex } from './audit-codec.js'
import { member } from './codec.js'

/** How the store runs commands: with its schema check, deadline and error wrapping (management path). */
export interface AnalyticsRunner {
  run<T>(operation: string, command: () => Promise<T>): Promise<T>
  script<T>(operation: string, name: keyof typeof lua, keys: string[], args: string[]): Promise<T>
}

/** Entries per prune round trip. */
const BATCH = 500

/**
 * The audit log, the notification ledger and leases of a `RedisKeyStore`, under `ns` (the start of
 * its control slot's keys, so all of them share that slot):
 * - `audit`: id → entry JSON, with sorted-set indexes (see `audit-codec.ts`).
 * - `ntf`: id → notification JSON; `ntf:att` id → failed attempts; `ntf:due` pending ids scored by
 *   when each is next free; `ntf:done` delivered or never-pending ids scored by creation.
 * - `lease:<name>`: a hash of holder and until.
 */
export class RedisAnalytics {
  readonly #redis: RedisClient
  readonly #ns: string
  readonly #runner: AnalyticsRunner

  constructor(redis: RedisClient, ns: string, runner: AnalyticsRunner) {
    this.#redis = redis
    this.#ns = ns
    this.#runner = runner
  }

  get #ledger(): string[] {
    const n = `${this.#ns}ntf`
    return [n, `${n}:att`, `${n}:due`, `${n}:done`]
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
