import { createKeyward, InvalidInputError, MemoryKeyStore, type KeywardOptions } from '@keyward/core'
import type { UsageIncrement } from '@keyward/core/store'
import { describe, expect, it } from 'vitest'

const PEPPER = 'usage-test-pepper-of-at-least-32-bytes'
const T0 = Date.UTC(2026, 10, 30, 22, 58, 0)

/** A MemoryKeyStore that records each addUsage call and can fail the next ones. */
class RecordingStore extends MemoryKeyStore {
  calls: UsageIncrement[][] = []
  failNext = 0
  /** Apply the next batches, then fail as if the reply was lost. */
  loseReplyNext = 0
  override async addUsage(increments: UsageIncrement[], batchId?: string): Promise<void> {
    this.calls.push(increments)
    if (this.failNext > 0) {
      this.failNext--
      throw new Error('connection reset')
    }
    await super.addUsage(increments, batchId)
    if (this.loseReplyNext > 0) {
      this.loseReplyNext--
      throw new Error('connection reset after commit')
    }
  }
}

function setup(options: Partial<KeywardOptions> = {}) {
  const store = new RecordingStore()
  let clock = T0
  const events: string[] = []
  const keyward = createKeyward({
    prefix: 'acme_test',
    store,
    pepper: PEPPER,
    throttle: false,
    now: () => clock,
    hooks: { onEvent: (event) => events.push(event.type) },
    ...options,
  } as KeywardOptions)
  return { store, keyward, events, tick: (ms: number) => (clock += ms), now: () => clock }
}

describe('usage counting', () => {
  it('counts every verification that reached a record, by outcome, and nothing for unknown ids or malformed keys', async () => {
    const { keyward } = setup()
    const { key, info } = await keyward.create({ name: 'CRM', scopes: ['contacts:sync'], ownerId: 'team-1' })
    const other = await keyward.create({ name: 'Other', rateLimit: { limit: 1, windowMs: 60_000 } })
    await keyward.verify(key)
    await keyward.verify(key, { scopes: ['contacts:sync'] })
    await keyward.verify(key, { scopes: ['messages:send'] })
    await keyward.verify(`${key.slice(0, -10)}AAAAAAAAAA`) // malformed: the checksum fails
    await keyward.verify(other.key)
    await keyward.verify(other.key) // the limit of 1 per minute
    const wrongSecret = createKeyward({ prefix: 'acme_test', store: new MemoryKeyStore(), pepper: PEPPER })
    const unknown = await wrongSecret.create({ name: 'Elsewhere' })
    await keyward.verify(unknown.key) // an id this store does not have
    await keyward.disable(info.id)
    await keyward.verify(key)
    const day = { from: Date.UTC(2026, 10, 30), to: Date.UTC(2026, 11, 1) }
    expect(await keyward.topKeys(day)).toEqual([
      { keyId: info.id, total: 4, counts: { ok: 2, insufficient_scope: 1, disabled: 1 } },
      { keyId: other.info.id, total: 2, counts: { ok: 1, rate_limited: 1 } },
    ])
    expect(await keyward.topKeys({ ...day, ownerId: 'team-1' })).toEqual([
      { keyId: info.id, total: 4, counts: { ok: 2, insufficient_scope: 1, disabled: 1 } },
    ])
  })

  it('reports buckets oldest first, empty ones included, by minute, hour and day', async () => {
    const { keyward, tick } = setup()
    const { key, info } = await keyward.create({ name: 'CRM' })
    await keyward.verify(key) // 22:58
    tick(90_000) // 22:59:30
    await keyward.verify(key)
    await keyward.verify(key)
    tick(60_000) // 23:00:30, the next hour
    await keyward.verify(key)
    const minutes = await keyward.usage({ keyId: info.id, from: T0, to: T0 + 4 * 60_000, granularity: 'minute' })
    expect(minutes.buckets.map((b) => [b.start.toISOString().slice(11, 16), b.counts.ok ?? 0])).toEqual([
      ['22:58', 1],
      ['22:59', 2],
      ['23:00', 1],
      ['23:01', 0],
    ])
    const hours = await keyward.usage({
      keyId: info.id,
      from: new Date(Date.UTC(2026, 10, 30, 22)),
      to: T0 + 3_600_000,
      granularity: 'hour',
    })
    expect(hours.buckets.map((b) => b.counts)).toEqual([{ ok: 3 }, { ok: 1 }])
    const days = await keyward.usage({ from: Date.UTC(2026, 10, 29), to: Date.UTC(2026, 11, 2), granularity: 'day' })
    expect(days.buckets.map((b) => b.counts.ok ?? 0)).toEqual([0, 4, 0])
  })

  it('writes at most one batch per flushMs while verifying, nothing on the request path, and keeps a failed batch for the next', async () => {
    const { keyward, store } = setup({ usage: { flushMs: 100 } })
    const { key, info } = await keyward.create({ name: 'CRM' })
    const started = Date.now()
    let sent = 0
    while (Date.now() - started < 550) {
      for (let i = 0; i < 50; i++) await keyward.verify(key)
      sent += 50
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    // About 5 flush intervals passed: at most one write per interval (plus the one a read makes).
    expect(store.calls.length).toBeGreaterThanOrEqual(2)
    expect(store.calls.length).toBeLessThanOrEqual(7)
    store.failNext = 1
    for (let i = 0; i < 10; i++) await keyward.verify(key)
    await new Promise((resolve) => setTimeout(resolve, 150)) // the failing flush
    await keyward.close()
    const reader = createKeyward({ prefix: 'acme_test', store, pepper: PEPPER })
    const [row] = await reader.topKeys({ from: Date.UTC(2026, 10, 30), to: Date.UTC(2026, 11, 1) })
    expect(row).toEqual({ keyId: info.id, total: sent + 10, counts: { ok: sent + 10 } })
  })

  it('retries a batch whose reply was lost under its id, so it is counted once', async () => {
    const { keyward, store } = setup({ usage: { flushMs: 50 } })
    const { key, info } = await keyward.create({ name: 'CRM' })
    store.loseReplyNext = 2
    for (let i = 0; i < 7; i++) await keyward.verify(key)
    await new Promise((resolve) => setTimeout(resolve, 120)) // a flush whose reply is lost, and its retry
    for (let i = 0; i < 5; i++) await keyward.verify(key)
    await keyward.close()
    expect(store.calls.length).toBeGreaterThanOrEqual(3)
    const reader = createKeyward({ prefix: 'acme_test', store, pepper: PEPPER })
    const [row] = await reader.topKeys({ from: Date.UTC(2026, 10, 30), to: Date.UTC(2026, 11, 1) })
    expect(row).toEqual({ keyId: info.id, total: 12, counts: { ok: 12 } })
  })

  it('refuses bad queries with a clear error, a whole key in place of an id included', async () => {
    const { keyward } = setup()
    const { key } = await keyward.create({ name: 'CRM' })
    const range = { from: T0, to: T0 + 60_000 }
    await expect(keyward.usage({ ...range, granularity: 'week' as 'day' })).rejects.toThrow(/granularity/)
    await expect(keyward.usage({ from: T0, to: T0, granularity: 'hour' })).rejects.toThrow(/to: must be later than from/)
    await expect(keyward.usage({ ...range, to: 'tomorrow' as unknown as number, granularity: 'hour' })).rejects.toBeInstanceOf(
      InvalidInputError,
    )
    await expect(keyward.usage({ from: 0, to: T0, granularity: 'minute' })).rejects.toThrow(/more than 10000 minute buckets/)
    const error = await keyward.usage({ ...range, keyId: key, granularity: 'hour' }).catch((e: Error) => e)
    expect(error).toBeInstanceOf(InvalidInputError)
    expect(String((error as Error).message)).not.toContain(key.slice(-12))
    await expect(keyward.topKeys({ ...range, limit: 0 })).rejects.toThrow(/limit/)
    await expect(keyward.usage({ ...range, granularity: 'hour', extra: 1 } as never)).rejects.toThrow(/extra/)
  })

  it('writes no usage with usage: false', async () => {
    const { keyward, store } = setup({ usage: false })
    const { key } = await keyward.create({ name: 'CRM' })
    await keyward.verify(key)
    await keyward.close()
    expect(store.calls).toEqual([])
  })
})
