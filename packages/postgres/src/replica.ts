import type pg from 'pg'
import { ReplicaFence } from './fence.js'
import { statementName, type Statement } from './statements.js'

const named = (text: string): Statement => ({ name: statementName(text), text })

/**
 * The end of the WAL written so far, as a standby's `pg_last_wal_replay_lsn()` would report it once
 * it has replayed everything: the insert position, less the page header it points past when the
 * last record ended on a page boundary (40 bytes on a segment's first page, else 24).
 */
const WRITTEN = named(`WITH w AS (SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn AS n,
  current_setting('wal_block_size')::numeric AS block, pg_size_bytes(current_setting('wal_segment_size')) AS segment)
  SELECT (CASE WHEN n % segment = 40 THEN n - 40 WHEN n % segment >= block AND n % block = 24 THEN n - 24 ELSE n END)::text AS lsn FROM w`)
const REPLAYED = named(`SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::text AS lsn`)

/** After a failed replica read, the replica is left alone this long (doubling up to `MAX_SKIP_MS` while it keeps failing). */
const FIRST_SKIP_MS = 1_000
const MAX_SKIP_MS = 30_000

const position = (result: pg.QueryResult<{ lsn: string | null }>): bigint | null => {
  const lsn = result.rows[0]?.lsn
  return lsn == null ? null : BigInt(lsn)
}

/** Options of {@link ReplicaReads}. */
export interface ReplicaReadsOptions {
  primary: pg.Pool
  replica: pg.Pool
  /** Deadline of the fence's own position queries. */
  timeoutMs: number
}

/**
 * Reads that a streaming replica may answer: from the replica when the fence says it has every
 * change the store knows of for what is read, else from the primary. The primary also answers
 * when the replica finds nothing for an id (it may be newer than the replica: a key just created
 * works at once) and when the replica fails (it is then skipped for a while): a replica read
 * never stands in for a primary read that could differ.
 */
export class ReplicaReads {
  readonly fence: ReplicaFence
  readonly #replica: pg.Pool
  #skipUntil = 0
  #failures = 0

  constructor(options: ReplicaReadsOptions) {
    this.#replica = options.replica
    const at = (pool: pg.Pool, statement: Statement) => async () =>
      position(await pool.query<{ lsn: string | null }>({ ...statement, query_timeout: options.timeoutMs } as pg.QueryConfig))
    const primary = at(options.primary, WRITTEN)
    this.fence = new ReplicaFence({
      primary: async () => {
        const lsn = await primary()
        if (lsn === null) throw new Error('the primary reported no WAL position')
        return lsn
      },
      replica: at(options.replica, REPLAYED),
    })
  }

  /** Whether reads of unchanged ids go to the replica now. */
  get ready(): boolean {
    return Date.now() >= this.#skipUntil && this.fence.ready
  }

  /**
   * `statement` for `key` (an id, `owner:<id>`, or undefined for a listing): on the replica when
   * it may answer, else through `primary`. For a key, the primary is asked again when the replica
   * found nothing, or when the key changed while the replica answered.
   */
  async read<R extends pg.QueryResultRow>(
    key: string | undefined,
    statement: Statement,
    values: unknown[],
    timeoutMs: number,
    primary: () => Promise<pg.QueryResult<R>>,
  ): Promise<pg.QueryResult<R>> {
    if (Date.now() < this.#skipUntil || this.fence.stale(key)) return primary()
    let result: pg.QueryResult<R>
    try {
      result = await this.#replica.query<R>({ ...statement, values, query_timeout: timeoutMs } as pg.QueryConfig)
    } catch {
      this.#skipUntil = Date.now() + Math.min(MAX_SKIP_MS, FIRST_SKIP_MS * 2 ** this.#failures++)
      return primary()
    }
    this.#failures = 0
    // A change heard of while the replica answered may be missing from the answer.
    if (key !== undefined && (result.rows.length === 0 || this.fence.stale(key))) return primary()
    return result
  }
}
