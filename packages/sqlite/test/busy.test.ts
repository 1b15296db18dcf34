import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createKeyward, MemoryKeyStore } from '@keyward/core'
import { SqliteKeyStore } from '@keyward/sqlite'
import { describe, expect, it } from 'vitest'
import { sleep } from '../../../test/eventually.js'
import { dbPath, tempDir } from './helpers.js'

const dir = tempDir()
const PEPPER = 'busy-test-pepper-0123456789-abcdefghijklmnop'
const holder = fileURLToPath(new URL('./fixtures/lock-holder.mjs', import.meta.url))

/** The longest gap between ticks of a 5 ms interval timer: how long the event loop stalled. */
function stallMeter() {
  let last = performance.now()
  let max = 0
  const timer = setInterval(() => {
    const now = performance.now()
    max = Math.max(max, now - last)
    last = now
  }, 5)
  return {
    stop(): number {
      clearInterval(timer)
      return Math.max(max, performance.now() - last)
    },
  }
}

/** Another process takes the write lock on `file`; resolves once it holds it. */
async function holdWriteLock(file: string, safetyMs: number) {
  const child = spawn(process.execPath, [holder, file], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, KEYWARD_LOCK_MS: String(safetyMs) },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout! })
  const [first] = (await once(lines, 'line')) as [string]
  expect(first).toBe('locked')
  return {
    async release() {
      if (child.exitCode === null) {
        child.stdin!.write('go\n')
        await once(child, 'exit')
      }
    },
  }
}

describe('SQLite while another process holds the write lock', () => {
  it('never stalls the event loop: failed guesses, rate-limited and credit keys fail closed at once; management writes wait', async () => {
    const file = dbPath(dir)
    const store = new SqliteKeyStore({ connection: file })
    const keyward = createKeyward({ prefix: 'busy_test', store, pepper: PEPPER, lastUsed: false })
    // Well-formed keys of this prefix that the file does not hold: failed guesses, counted per source.
    const elsewhere = createKeyward({ prefix: 'busy_test', store: new MemoryKeyStore(), pepper: PEPPER, throttle: false })
    const guesses = await Promise.all(Array.from({ length: 20 }, (_, i) => elsewhere.create({ name: `guess ${i}` })))
    const limited = await keyward.create({ name: 'limited', rateLimit: { limit: 1_000, windowMs: 60_000 } })
    const credited = await keyward.create({ name: 'credited', credits: { remaining: 1_000 } })
    const plain = await keyward.create({ name: 'plain' })
    for (const k of [limited, credited, plain]) expect(await keyward.verify(k.key)).toMatchObject({ ok: true })

    const lock = await holdWriteLock(file, 4_000)
    const meter = stallMeter()
    let maxStallMs = Infinity
    try {
      const t0 = performance.now()
      const timed = async <T>(p: Promise<T>) => {
        const value = await p
        return { value, ms: performance.now() - t0 }
      }
      const results = await Promise.all([
        ...guesses.map((g, i) => timed(keyward.verify(g.key, { source: `2001:db8::${i}` }))),
        ...Array.from({ length: 10 }, () => timed(keyward.verify(limited.key))),
        ...Array.from({ length: 10 }, () => timed(keyward.verify(credited.key))),
      ])
      for (const { value, ms } of results) {
        expect(value.ok).toBe(false)
        expect(ms).toBeLessThan(1_000)
      }
      for (const { value } of results.slice(guesses.length)) expect(value).toMatchObject({ ok: false, code: 'store_unavailable' })
      // A key that needs no write still verifies from the cache, and a read from the file works (WAL).
      expect(await keyward.verify(plain.key)).toMatchObject({ ok: true })
      expect(await keyward.get(plain.info.id)).not.toBeNull()

      // A management write waits for the lock (asynchronously) and succeeds once it is free.
      const revoking = keyward.revoke(limited.info.id)
      await sleep(300)
      await lock.release()
      await revoking
      expect(await keyward.verify(limited.key)).toMatchObject({ ok: false, code: 'revoked' })
    } finally {
      maxStallMs = meter.stop()
      await lock.release()
    }
    expect(maxStallMs).toBeLessThan(150)
    expect(await keyward.verify(credited.key)).toMatchObject({ ok: true })
    await Promise.all([keyward.close(), elsewhere.close()])
    await store.close()
  }, 30_000)

  it('a management write gives up after managementTimeoutMs, without stalling the event loop meanwhile', async () => {
    const file = dbPath(dir)
    const store = new SqliteKeyStore({ connection: file, managementTimeoutMs: 500 })
    const keyward = createKeyward({ prefix: 'busy_test', store, pepper: PEPPER })
    const lock = await holdWriteLock(file, 5_000)
    const meter = stallMeter()
    let maxStallMs = Infinity
    try {
      const t0 = performance.now()
      await expect(keyward.create({ name: 'blocked' })).rejects.toMatchObject({ code: 'store_unavailable' })
      const waited = performance.now() - t0
      expect(waited).toBeGreaterThanOrEqual(450)
      expect(waited).toBeLessThan(1_500)
    } finally {
      maxStallMs = meter.stop()
      await lock.release()
    }
    expect(maxStallMs).toBeLessThan(150)
    expect((await keyward.list()).items).toEqual([]) // nothing was half-written
    await keyward.close()
    await store.close()
  }, 30_000)
})
