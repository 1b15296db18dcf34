/**
 * Vitest `globalSetup` helpers for the store packages: start PostgreSQL and/or Redis on loopback
 * when they are not already running (see scripts/services.mjs) and expose their URLs as
 * KEYWARD_TEST_PG_URL and KEYWARD_TEST_REDIS_URL. A server started here is stopped when the run
 * ends (KEYWARD_KEEP_SERVICES=1 keeps it for the next run); one already running (CI,
 * `pnpm services start`) or named by a preset URL variable is left alone.
 */
import { pgUrl, redisUrl, startPostgres, startRedis, stopPostgres, stopRedis } from './services.mjs'

export type Service = 'postgres' | 'redis'

export async function setupServices(wanted: Service[]): Promise<() => Promise<void>> {
  const keep = process.env.KEYWARD_KEEP_SERVICES === '1'
  const started: Array<() => Promise<unknown>> = []
  if (wanted.includes('postgres') && process.env.KEYWARD_TEST_PG_URL === undefined) {
    process.env.KEYWARD_TEST_PG_URL = pgUrl()
    if ((await startPostgres()) && !keep) started.push(() => stopPostgres())
  }
  if (wanted.includes('redis') && process.env.KEYWARD_TEST_REDIS_URL === undefined) {
    process.env.KEYWARD_TEST_REDIS_URL = redisUrl()
    if ((await startRedis()) && !keep) started.push(() => stopRedis())
  }
  return async () => {
    for (const stop of started) await stop()
  }
}

/** Both servers. */
export default function setup(): Promise<() => Promise<void>> {
  return setupServices(['postgres', 'redis'])
}
