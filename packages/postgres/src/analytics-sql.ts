import type { AuditQuery, UsageQuery } from '@keyward/core/store'
import { AUDIT_COLUMNS, auditParams } from './analytics-rows.js'
import { qualified, type PgNames } from './names.js'
import { statementName, type Statement } from './statements.js'

const named = (text: string): Statement => ({ name: statementName(text), text })
/** A timestamptz column as epoch milliseconds, the SQLite tables' shape. */
const ms = (column: string, as = column.replace(/^\w+\./, '')): string => `(extract(epoch FROM ${column}) * 1000)::float8 AS ${as}`

/** A statement and its parameter values. */
export interface Bound {
  statement: Statement
  values: unknown[]
}

export type AnalyticsStatements = ReturnType<typeof buildAnalyticsStatements>

/** The statements over the usage, audit, notification and lease tables of a store over `names`. */
export function buildAnalyticsStatements(names: PgNames) {
  const [u, a, n, l, b] = ['_usage', '_audit', '_notifications', '_leases', '_usage_batches'].map((s) => qualified(names, s))
  const cache = new Map<string, Statement>()
  const cached = (text: string): Statement => {
    let statement = cache.get(text)
    if (statement === undefined) cache.set(text, (statement = named(text)))
    return statement
  }
  /** `base` with the conditions of `filters` that are set, each with the next parameter. */
  const filtered = (base: unknown[], filters: [condition: (p: string) => string, value: unknown][]) => {
    const values = [...base]
    const where: string[] = []
    for (const [condition, value] of filters) if (value !== undefined) where.push(condition(`$${values.push(value)}`))
    return { values, where: where.map((w) => ` AND ${w}`).join('') }
  }
  /** Adds the rows of `usageColumns` ($1–$7) that pass `where`, in array order, so locks are taken in that order. */
  const addUsage = (where: string) =>
    `INSERT INTO ${u} AS t (prefix, granularity, start, key_id, owner_id, outcome, count)
     SELECT v.prefix, v.granularity, v.start, v.key_id, v.owner_id, v.outcome, v.count
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::bigint[])
       WITH ORDINALITY AS v(prefix, granularity, start, key_id, owner_id, outcome, count, n)${where}
     ORDER BY v.n
     ON CONFLICT (prefix, granularity, start, key_id, owner_id, outcome) DO UPDATE SET count = t.count + excluded.count`
  return {
    /** The seven columns of `usageColumns`. */
    addUsage: named(addUsage('')),
    /**
     * The seven columns of `usageColumns`, $8 the batch id, $9 its earliest minute: the id is
     * recorded and the rows added in one statement, so one transaction, only when the id is new.
     * A concurrent call with the same id waits on the id's row and, once the first commits,
     * records and adds nothing (if the first rolls back, it records and adds instead).
     */
    addUsageBatch: named(
      `WITH batch AS (INSERT INTO ${b} (id, minute) VALUES ($8, $9) ON CONFLICT (id) DO NOTHING RETURNING 1)
       ${addUsage(' WHERE EXISTS (SELECT 1 FROM batch)')}`,
    ),
    readUsage(query: UsageQuery): Bound {
      const { values, where } = filtered(
        [query.prefix, query.granularity, new Date(query.from), new Date(query.to)],
        [
          [(p) => `key_id = ${p}`, query.keyId],
          [(p) => `owner_id = ${p}`, query.ownerId],
        ],
      )
      const statement = cached(
        `SELECT key_id, owner_id, ${ms('start')}, outcome, count::float8 AS count FROM ${u} AS t
         WHERE prefix = $1 AND granularity = $2 AND start >= $3 AND start < $4${where} ORDER BY t.start, key_id, outcome`,
      )
      return { statement, values }
    },
    /** $1–$3: the minute, hour and day cutoffs; $4 the minute cutoff in epoch ms, for the batch ids. */
    pruneUsage: named(
      `WITH batches AS (DELETE FROM ${b} WHERE minute < $4)
       DELETE FROM ${u} WHERE (granularity = 'minute' AND start < $1) OR (granularity = 'hour' AND start < $2)
       OR (granularity = 'day' AND start < $3)`,
    ),
    /** Column arrays of `AUDIT_COLUMNS`, in order. */
    appendAudit: named(
      `INSERT INTO ${a} (${AUDIT_COLUMNS.join(', ')})
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[])`,
    ),
    /**
     * `change` (a keys-table statement ending in `RETURNING`) and, in the same statement, so in the
     * same transaction, the audit row from parameter `first` on, appended only when `change` changed
     * a row. Returns what `change` returns. A failing audit insert fails the change.
     */
    audited(change: string, first: number): Statement {
      return cached(
        `WITH changed AS (${change}), logged AS (
           INSERT INTO ${a} (${AUDIT_COLUMNS.join(', ')}) SELECT ${auditParams(first)} FROM changed
         ) SELECT * FROM changed`,
      )
    },
    /** One row more than a page, newest first. `after` comes from the decoded cursor. */
    listAudit(query: AuditQuery, after: { createdAt: number; id: string } | null): Bound {
      const { values, where } = filtered(
        [query.prefix],
        [
          [(p) => `key_id = ${p}`, query.keyId],
          [(p) => `owner_id = ${p}`, query.ownerId],
          [(p) => `actor->>'id' = ${p}`, query.actorId],
          [(p) => `at >= ${p}`, query.from === undefined ? undefined : new Date(query.from)],
          [(p) => `at < ${p}`, query.to === undefined ? undefined : new Date(query.to)],
        ],
      )
      const position = after ? ` AND (at, id) < ($${values.push(new Date(after.createdAt))}::timestamptz, $${values.push(after.id)})` : ''
      values.push(query.limit + 1)
      const statement = cached(
        `SELECT id, ${ms('at')}, action, prefix, key_id, owner_id, actor::text AS actor, fields::text AS fields FROM ${a} AS t WHERE prefix = $1${where}${position} ORDER BY t.at DESC, t.id DESC LIMIT $${values.length}`,
      )
      return { statement, values }
    },
    /** $1 the cutoff. */
    pruneAudit: named(`DELETE FROM ${a} WHERE at < $1`),
    /** Column arrays id, type, key id, payload, created at, pending; returns the ids that were new. */
    recordNotifications: named(
      `INSERT INTO ${n} (id, type, key_id, payload, created_at, pending, next_attempt_at)
       SELECT v.id, v.type, v.key_id, v.payload, v.created_at, v.pending, v.created_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::boolean[]) AS v(id, type, key_id, payload, created_at, pending)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
    ),
    /**
     * $1 now, $2 claimed until, $3 holder, $4 limit. Rows another transaction is claiming are
     * skipped, and a row claimed meanwhile is re-checked under its lock, so each is handed out once.
     */
    claimNotifications: named(
      `WITH due AS (
         SELECT id FROM ${n} WHERE pending AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
         ORDER BY created_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
       )
       UPDATE ${n} AS t SET claimed_until = $2, claimed_by = $3 FROM due WHERE t.id = due.id
       RETURNING t.id, t.type, t.key_id, t.payload, ${ms('t.created_at')}, t.attempts`,
    ),
    /** $1 id. */
    settleDelivered: named(`UPDATE ${n} SET pending = false, claimed_until = NULL, claimed_by = NULL WHERE id = $1`),
    /** $1 id, $2 next attempt, $3 error. */
    settleFailed: named(
      `UPDATE ${n} SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3, claimed_until = NULL, claimed_by = NULL WHERE id = $1`,
    ),
    /** $1 the cutoff. */
    pruneNotifications: named(`DELETE FROM ${n} WHERE NOT pending AND created_at < $1`),
    /** $1 name, $2 holder, $3 until, $4 now; returns a row when `holder` holds the lease. One statement, so one holder wins. */
    acquireLease: named(
      `INSERT INTO ${l} AS t (name, holder, until) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
       WHERE t.holder = excluded.holder OR t.until <= $4
       RETURNING t.holder`,
    ),
  }
}
