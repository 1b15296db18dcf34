import {
  createKeyward,
  MemoryKeyStore,
  type KeywardEvent,
  type KeywardOptions,
  type NotificationSender,
  type OutgoingNotification,
} from '@keyward/core'
import { describe, expect, it } from 'vitest'
import { KeyFormat } from '../src/format.js'
import { cryptoRandom } from '../src/lib/base62.js'

const PEPPER = 'notify-test-pepper-of-at-least-32-bytes'
const DAY = 86_400_000
const T0 = Date.UTC(2026, 11, 1, 12)

function instance(store: MemoryKeyStore, clock: { now: number }, options: Partial<KeywardOptions> = {}) {
  const events: KeywardEvent[] = []
  const keyward = createKeyward({
    prefix: 'acme_test',
    store,
    pepper: PEPPER,
    throttle: false,
    now: () => clock.now,
    hooks: { onEvent: (event) => events.push(event) },
    ...options,
  } as KeywardOptions)
  const kinds = ['key.expiring_soon', 'key.unused', 'key.credits_low', 'key.auth_failures', 'key.used_after_rotation', 'key.leaked']
  const notices = () => events.filter((e) => kinds.includes(e.type))
  return { keyward, events, notices }
}

describe('maintenance notifications', () => {
  it('emits expiring_soon, unused, credits_low and auth_failures once per key and period', async () => {
    const store = new MemoryKeyStore()
    const clock = { now: T0 }
    const { keyward, notices } = instance(store, clock, { notify: { creditsBelow: 5, authFailuresPerHour: 3, unusedForMs: 30 * DAY } })
    const expiring = await keyward.create({ name: 'Expiring', expiresAt: T0 + 3 * DAY })
    const far = await keyward.create({ name: 'Far', expiresAt: T0 + 60 * DAY })
    const credits = await keyward.create({ name: 'Credits', credits: { remaining: 6 } })
    await keyward.verify(credits.key, { cost: 2 })
    const guessed = await keyward.create({ name: 'Guessed' })
    // Three wrong secrets for a known id: well-formed keys (valid checksum) with its id.
    for (let i = 0; i < 3; i++) await keyward.verify(new KeyFormat({ prefix: 'acme_test' }).generate(cryptoRandom, guessed.info.id).key)
    const report = await keyward.runMaintenance()
    expect(report.scanned).toBe(true)
    expect(notices().map((e) => [e.type, e.keyId])).toEqual(
      expect.arrayContaining([
        ['key.expiring_soon', expiring.info.id],
        ['key.credits_low', credits.info.id],
        ['key.auth_failures', guessed.info.id],
      ]),
    )
    expect(notices()).toHaveLength(3)
    expect(notices().find((e) => e.type === 'key.credits_low')?.creditsRemaining).toBe(4)
    expect(notices().find((e) => e.type === 'key.auth_failures')?.failures).toBe(3)
    expect(notices().some((e) => e.keyId === far.info.id)).toBe(false)
    // Again: nothing new.
    await keyward.runMaintenance()
    expect(notices()).toHaveLength(3)
    // A month later every key but the ones used is unused; the expiring one has expired (no notice).
    clock.now += 31 * DAY
    await keyward.runMaintenance()
    expect(
      notices()
        .filter((e) => e.type === 'key.unused')
        .map((e) => e.keyId)
        .sort(),
    ).toEqual([far.info.id, credits.info.id, guessed.info.id].sort())
  })

  it('auto-disables unused keys when asked, in the audit log as keyward:maintenance', async () => {
    const store = new MemoryKeyStore()
    const clock = { now: T0 }
    const { keyward } = instance(store, clock, { notify: { unusedForMs: 7 * DAY, autoDisableUnused: true } })
    const idle = await keyward.create({ name: 'Idle' })
    const busy = await keyward.create({ name: 'Busy' })
    clock.now += 8 * DAY
    await keyward.verify(busy.key)
    await keyward.close()
    const again = instance(store, clock, { notify: { unusedForMs: 7 * DAY, autoDisableUnused: true } }).keyward
    await again.runMaintenance()
    expect((await again.get(idle.info.id))?.status).toBe('disabled')
    expect((await again.get(busy.info.id))?.status).toBe('active')
    const [entry] = (await again.auditLog({ keyId: idle.info.id })).items
    expect(entry).toMatchObject({ action: 'key.disabled', actor: { id: 'keyward:maintenance' } })
  })

  it('notifies once in total when two instances run maintenance at once, and only the lease holder scans', async () => {
    const store = new MemoryKeyStore()
    const clock = { now: T0 }
    const a = instance(store, clock)
    const b = instance(store, clock)
    for (let i = 0; i < 5; i++) await a.keyward.create({ name: `Expiring ${i}`, expiresAt: T0 + DAY })
    const [ra, rb] = await Promise.all([a.keyward.runMaintenance(), b.keyward.runMaintenance()])
    expect([ra.scanned, rb.scanned].filter(Boolean)).toHaveLength(1)
    clock.now += 6 * 60_000 // the lease lapses: the other instance may scan, and finds nothing new
    await Promise.all([a.keyward.runMaintenance(), b.keyward.runMaintenance()])
    expect(a.notices().length + b.notices().length).toBe(5)
  })

  it('reports a predecessor used during its grace period once, with its successor and the source', async () => {
    const store = new MemoryKeyStore()
    const clock = { now: T0 }
    const { keyward, notices } = instance(store, clock)
    const { key, info } = await keyward.create({ name: 'CRM' })
    const rotated = await keyward.rotate(info.id, { gracePeriodMs: DAY })
    expect((await keyward.verify(key, { source: '198.51.100.4' })).ok).toBe(true)
    expect((await keyward.verify(key, { source: '198.51.100.5' })).ok).toBe(true)
    await expect.poll(() => notices().length).toBe(1)
    expect(notices()[0]).toMatchObject({
      type: 'key.used_after_rotation',
      keyId: info.id,
      successorId: rotated.info.id,
      source: '198.51.100.4',
    })
    await keyward.verify(rotated.key)
    expect(notices()).toHaveLength(1)
  })
})

describe('webhook delivery', () => {
  /** A sender that fails while `down`, recording every attempt. */
  function flakySender() {
    const attempts: { at: number; notification: OutgoingNotification }[] = []
    const sender = {
      down: true,
      clock: { now: T0 },
      attempts,
      delivered: () => attempts.filter((a) => a.at >= 0 && !sender.failedAt.has(a)),
      failedAt: new Set<object>(),
      async send(notification: OutgoingNotification) {
        const attempt = { at: sender.clock.now, notification }
        attempts.push(attempt)
        if (sender.down) {
          sender.failedAt.add(attempt)
          throw new Error('503 Service Unavailable')
        }
      },
    } satisfies NotificationSender & Record<string, unknown>
    return sender
  }

  it('retries with exponential backoff through a 5-minute outage, then delivers each notification once', async () => {
    const store = new MemoryKeyStore()
    const sender = flakySender()
    const { keyward } = instance(store, sender.clock, { webhooks: sender })
    const created = []
    for (let i = 0; i < 3; i++) created.push(await keyward.create({ name: `Expiring ${i}`, expiresAt: T0 + DAY }))
    await keyward.reportLeak(created[0]!.info.id)
    for (let second = 0; second <= 300; second += 10) {
      sender.clock.now = T0 + second * 1000
      await keyward.runMaintenance()
    }
    // Backoff, not one attempt per pass (31 passes): waits of 5, 10, 20, 40, 80, 160 s, seen by passes
    // every 10 s → attempts at 0, 10, 20, 40, 80 and 160 s, six for each of the four notifications.
    expect(sender.attempts.length).toBe(4 * 6)
    expect(sender.attempts.filter((a) => a.notification.type === 'key.leaked').map((a) => (a.at - T0) / 1000)).toEqual([
      0, 10, 20, 40, 80, 160,
    ])
    sender.down = false
    for (let second = 310; second <= 700; second += 10) {
      sender.clock.now = T0 + second * 1000
      await keyward.runMaintenance()
    }
    const delivered = sender.delivered().map((a) => a.notification.id)
    expect(delivered.sort()).toEqual([...new Set(delivered)].sort())
    expect(delivered).toHaveLength(4)
    const leaked = sender.delivered().find((a) => a.notification.type === 'key.leaked')!.notification
    expect(leaked.payload).toMatchObject({ type: 'key.leaked', keyId: created[0]!.info.id })
    // Every attempt of one notification carries the same id: receivers deduplicate on it.
    const ids = new Set(sender.attempts.map((a) => a.notification.id))
    expect(ids.size).toBe(4)
  })

  it('refuses webhooks that are not a sender', () => {
    expect(() =>
      createKeyward({ prefix: 'acme_test', store: new MemoryKeyStore(), pepper: PEPPER, webhooks: { url: 'x' } as never }),
    ).toThrow(/NotificationSender/)
  })
})
