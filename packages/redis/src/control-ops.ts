import type { AuditRecord } from '@keyward/core/store'
import { auditIdTaken } from './analytics.js'
import { auditHash, auditIndexes, auditMember, encodeAudit } from './audit-codec.js'
import type { CommandPath } from './connection.js'
import type { ScriptName } from './eval-script.js'
import type { Layout } from './layout.js'

/** What a step needs of the connection: the layout and a script call. */
export interface StepRunner {
  readonly layout: Layout
  script<T>(operation: string, path: CommandPath, name: ScriptName, keys: string[], args: (string | number)[]): Promise<T>
}

/**
 * The control-slot step of a change (the `CONTROL` script): index, audit and usage-index writes and
 * sharded change messages, gathered and then run in one call. Its first key is the change channel, so
 * the call goes to the control slot's node even when it only publishes.
 */
export class ControlOps {
  readonly #conn: StepRunner
  readonly #keys: string[]
  readonly #at = new Map<string, number>()
  readonly #ops: (string | number)[][] = []

  constructor(conn: StepRunner) {
    this.#conn = conn
    this.#keys = [conn.layout.channel]
  }

  #key(key: string): number {
    let at = this.#at.get(key)
    if (at === undefined) {
      at = this.#keys.push(key)
      this.#at.set(key, at)
    }
    return at
  }

  zadd(key: string, member: string): this {
    this.#ops.push(['z', this.#key(key), member])
    return this
  }

  zrem(key: string, member: string): this {
    this.#ops.push(['r', this.#key(key), member])
    return this
  }

  sadd(key: string, member: string): this {
    this.#ops.push(['s', this.#key(key), member])
    return this
  }

  /** Write an audit entry (whose id was reserved) into the log and its indexes. */
  audit(entry: AuditRecord): this {
    const ns = this.#conn.layout.control('')
    this.#ops.push(['h', this.#key(auditHash(ns)), entry.id, encodeAudit(entry)])
    for (const index of auditIndexes(ns, entry)) this.zadd(index, auditMember(entry))
    return this
  }

  /** Give back the reservation of audit id `id` (its change did not happen). */
  unreserve(id: string): this {
    this.#ops.push(['u', this.#key(auditHash(this.#conn.layout.control(''))), id])
    return this
  }

  /** `SPUBLISH` `id` on the change channel (sharded pub/sub; see `RedisConnection.announce`). */
  publish(id: string): this {
    this.#ops.push(['p', id])
    return this
  }

  async run(operation: string, path: CommandPath = 'management'): Promise<void> {
    if (this.#ops.length === 0) return
    await this.#conn.script(operation, path, 'CONTROL', this.#keys, [JSON.stringify(this.#ops)])
  }
}

/** Reserve the ids of audit entries before their change; a taken id fails the call with nothing reserved. */
export async function reserveAudit(conn: StepRunner, operation: string, entries: readonly AuditRecord[]): Promise<void> {
  if (entries.length === 0) return
  const hash = auditHash(conn.layout.control(''))
  const taken = await conn.script<string>(
    operation,
    'management',
    'RESERVE_AUDIT',
    [hash],
    entries.map((entry) => entry.id),
  )
  if (taken !== '') throw auditIdTaken(taken)
}

/** Give back audit reservations after a change that did not happen (best effort: a leftover reservation only blocks its own id). */
export async function releaseAudit(conn: StepRunner, operation: string, entries: readonly AuditRecord[]): Promise<void> {
  if (entries.length === 0) return
  const ops = new ControlOps(conn)
  for (const entry of entries) ops.unreserve(entry.id)
  await ops.run(operation).catch(() => undefined)
}
