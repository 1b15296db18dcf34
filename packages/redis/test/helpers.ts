import { RedisKeyStore, type RedisKeyStoreOptions } from '@keyward/redis'
import { Redis } from 'ioredis'
import { afterAll } from 'vitest'
import { redisUrl } from '../../../scripts/services.mjs'
import { Layout } from '../src/layout.js'

/** The shared test server (started by the globalSetup). */
export const REDIS_URL = process.env.KEYWARD_TEST_REDIS_URL ?? redisUrl()

let n = 0
/** A key prefix no other test uses. */
export const freshPrefix = (): string => `kwtest:${process.pid}:${Date.now().toString(36)}:${++n}:`

const prefixes = new Set<string>()
afterAll(async () => {
  const admin = new Redis(REDIS_URL)
  try {
    for (const prefix of prefixes) {
      const keys = await admin.keys(`${prefix}*`)
      for (let at = 0; at < keys.length; at += 1_000) await admin.unlink(...keys.slice(at, at + 1_000))
    }
  } finally {
    admin.disconnect()
  }
})

/** A store on a fresh key prefix of the shared server; its keys are deleted after the file. */
export function freshStore(options: Partial<RedisKeyStoreOptions> = {}): RedisKeyStore {
  const namespace = options.namespace ?? freshPrefix()
  prefixes.add(namespace)
  return new RedisKeyStore({ connection: REDIS_URL, ...options, namespace })
}

/** Where the store under `namespace` keeps each key (for tests that look at or edit Redis directly). */
export const layoutOf = (namespace: string): Layout => new Layout(namespace)
