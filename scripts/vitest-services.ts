/**
 * Vitest `globalSetup` helpers for the store packages: start this checkout's PostgreSQL and/or Redis
 * on loopback when they are not already running (see scripts/services.mjs: ports and data are per
 * checkout, so two checkouts never share or stop each other's) and expose their URLs as
 * KEYWARD_TEST_PG_URL and KEYWARD_TEST_REDIS_URL. Each run holds a lease on the servers it uses; a
 * server a test run started is stopped when the last run holding it ends (KEYWARD_KEEP_SERVICES=1
 * keeps it for the next run); one started by `pnpm services start` (CI) or named by a preset URL
 * variable is left alone.
 */
import { useSharedServices } from './services.mjs'

export type Service = 'postgres' | 'redis'

const URL_VARIABLE = { postgres: 'KEYWARD_TEST_PG_URL', redis: 'KEYWARD_TEST_REDIS_URL' } as const

export async function setupServices(wanted: Service[]): Promise<() => Promise<void>> {
  const releases: Array<() => Promise<void>> = []
  for (const kind of wanted) {
    if (process.env[URL_VARIABLE[kind]] !== undefined) continue
    const { url, release } = await useSharedServices(kind)
    process.env[URL_VARIABLE[kind]] = url
    releases.push(release)
  }
  return async () => {
    for (const release of releases) await release()
  }
}

/** Both servers. */
export default function setup(): Promise<() => Promise<void>> {
  return setupServices(['postgres', 'redis'])
}
