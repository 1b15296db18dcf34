/**
 * A PostgreSQL primary with a streaming read replica, on loopback, for tests and benchmarks of
 * `PostgresKeyStore`'s `replica` option. The primary is a private server of services.mjs (free
 * port, fresh directory); the replica is a `pg_basebackup -R` copy of it in a fresh directory,
 * started as a hot standby on another free port. initdb's default pg_hba.conf (with `--auth=trust`)
 * lets 127.0.0.1 connect for replication, and wal_level's default (`replica`) is enough.
 *
 *   const pair = await startReplicaPair()
 *   // pair.primaryUrl, pair.replicaUrl; pair.pauseReplay() makes the replica lag on demand
 *   await pair.remove()
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, pgUrl, PortTakenError, runPg, startPostgres, startPrivate, stopPostgres } from './services.mjs'

/**
 * The end of the WAL written so far, as a replica's `pg_last_wal_replay_lsn()` reports it: the
 * insert position, less the page header it points past when the last record ended on a page
 * boundary (else a replica that replayed everything never reaches it).
 */
const WRITTEN_LSN = `WITH w AS (SELECT pg_current_wal_insert_lsn() AS l, pg_current_wal_insert_lsn() - '0/0'::pg_lsn AS n,
  current_setting('wal_block_size')::numeric AS block, pg_size_bytes(current_setting('wal_segment_size')) AS segment)
  SELECT CASE WHEN n % segment = 40 THEN l - 40 WHEN n % segment >= block AND n % block = 24 THEN l - 24 ELSE l END FROM w`

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** One SQL statement through psql on `port`; its single value as text. Throws with psql's message. */
function sql(port, statement) {
  const r = runPg('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-XAtqc', statement])
  if (r.status !== 0) throw new Error(`pg-replica: ${statement} failed on port ${port}: ${r.stderr || r.stdout}`)
  return r.stdout.trim()
}

async function until(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`pg-replica: ${what} within ${timeoutMs} ms`)
    await sleep(50)
  }
}

/** A `pg_basebackup -R` copy of the primary on `primaryPort`, started as a standby on a free port. */
async function startStandby(primaryPort) {
  for (let attempt = 1; ; attempt++) {
    // Made by pg_basebackup itself (as `postgres` when root), in the world-writable temp directory.
    const dir = join(tmpdir(), `keyward-pg-replica-${randomBytes(6).toString('hex')}`)
    const copy = runPg('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(primaryPort),
      '-U',
      'postgres',
      '-D',
      dir,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
      '--no-sync',
    ])
    if (copy.status !== 0) {
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`pg-replica: pg_basebackup failed: ${copy.stderr || copy.stdout}`)
    }
    const port = await freePort()
    try {
      await startPostgres({ port, dir })
      return { port, dir }
    } catch (error) {
      rmSync(dir, { recursive: true, force: true })
      if (error instanceof PortTakenError && attempt < 5) continue
      throw error
    }
  }
}

/**
 * Start a primary and a streaming replica of it; resolves once the primary reports the replica
 * streaming (`pg_stat_replication`). The pair is the caller's: `remove()` stops both and deletes
 * their directories.
 * @returns `{ primaryUrl, replicaUrl, primary, replica, pauseReplay, resumeReplay, waitForReplay, remove }`
 */
export async function startReplicaPair() {
  const primary = await startPrivate('postgres')
  let standby
  try {
    // The test servers commit asynchronously (synchronous_commit=off): WAL reaches the replica when
    // the WAL writer flushes it, every 200 ms by default. Every 10 ms keeps the lag near a
    // synchronously committing primary's.
    sql(primary.port, "ALTER SYSTEM SET wal_writer_delay = '10ms'")
    sql(primary.port, 'SELECT pg_reload_conf()')
    standby = await startStandby(primary.port)
    await until(
      'the replica streaming',
      () => sql(primary.port, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") === '1',
    )
  } catch (error) {
    if (standby) await stopPostgres({ port: standby.port, dir: standby.dir, mode: 'immediate' }).catch(() => undefined)
    if (standby) rmSync(standby.dir, { recursive: true, force: true })
    await primary.remove()
    throw error
  }
  const replica = standby
  return {
    primaryUrl: primary.url,
    replicaUrl: pgUrl(replica.port),
    /** The primary as a private server (`stop`, `start`). */
    primary,
    /** The replica: `stop` it (fast, or `{ mode: 'immediate' }`) and `start` it again, on its port with its data. */
    replica: {
      ...replica,
      url: pgUrl(replica.port),
      stop: (options = {}) => stopPostgres({ ...replica, ...options }),
      start: () => startPostgres(replica),
    },
    /** Stop applying WAL on the replica (it keeps receiving it): the replica lags from now on. */
    async pauseReplay() {
      sql(replica.port, 'SELECT pg_wal_replay_pause()')
      await until('replay paused', () => sql(replica.port, 'SELECT pg_get_wal_replay_pause_state()') === 'paused')
    },
    /** Apply WAL again; the replica catches up. */
    async resumeReplay() {
      sql(replica.port, 'SELECT pg_wal_replay_resume()')
    },
    /** Resolve once the replica has replayed everything the primary had written when called. */
    async waitForReplay(timeoutMs = 10_000) {
      const target = sql(primary.port, WRITTEN_LSN)
      await until(
        'the replica catching up',
        () => sql(replica.port, `SELECT pg_last_wal_replay_lsn() >= '${target}'::pg_lsn`) === 't',
        timeoutMs,
      )
    },
    async remove() {
      await stopPostgres({ port: replica.port, dir: replica.dir, mode: 'immediate' }).catch(() => undefined)
      rmSync(replica.dir, { recursive: true, force: true })
      await primary.remove()
    },
  }
}
