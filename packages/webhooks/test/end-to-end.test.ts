/**
 * Notifications from maintenance and reportLeak, through Keyward's ledger in a SQLite store, to a
 * real HTTP receiver via standardWebhooks: outages, two instances, and a process killed mid-delivery.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { KeywardEvent } from '@keyward/core'
import { SqliteKeyStore } from '@keyward/sqlite'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  attemptsById,
  Clock,
  DAY_MS,
  expectDeliveredOnce,
  expiringId,
  keywardOn,
  maintenanceEvents,
  PEPPER,
  PREFIX,
  type Switchboard,
  switchboard,
  until,
} from './end-to-end-support.js'
import { newSecret } from './receiver.js'

const dir = mkdtempSync(join(tmpdir(), 'keyward-webhooks-e2e-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const dbFile = () => join(dir, `keys-${++files}.db`)

const cleanup: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})
const owned = <T extends { close(): Promise<unknown> | unknown }>(resource: T): T => {
  cleanup.push(() => resource.close())
  return resource
}

describe('webhook delivery end to end', () => {
  it('through a 5-minute outage: retried on the backoff schedule, then every event delivered once, signed', async () => {
    const clock = new Clock()
    const secret = newSecret()
    let down = true
    const server: Switchboard = owned(await switchboard(clock, () => (down ? 503 : 200)))
    const events: KeywardEvent[] = []
    const store = owned(new SqliteKeyStore(dbFile()))
    const keyward = owned(keywardOn(store, { clock, url: server.url, secret, events }))
    const start = clock.t
    const expiresAt = start + DAY_MS
    const keys = await Promise.all([0, 1, 2].map((i) => keyward.create({ name: `expiring ${i}`, expiresAt: new Date(expiresAt) })))
    const lasting = await keyward.create({ name: 'lasting', expiresAt: new Date(start + 30 * DAY_MS) })
    await keyward.reportLeak(lasting.info.id)
    const expected = [...keys.map(({ info }) => expiringId(info.id, expiresAt)), `key.leaked:${lasting.info.id}`]

    let passes = 0
    while (clock.t < start + 5 * 60_000) {
      await keyward.runMaintenance()
      passes++
      clock.advance(10_000)
    }
    down = false
    for (let pass = 0; pass < 60 && server.deliveries.filter((d) => d.status === 200).length < expected.length; pass++) {
      await keyward.runMaintenance()
      clock.advance(10_000)
    }
    const settled = server.deliveries.length
    for (let pass = 0; pass < 5; pass++) {
      await keyward.runMaintenance()
      clock.advance(60_000)
    }

    expect(passes).toBe(30)
    expect(server.deliveries).toHaveLength(settled) // nothing more once all were accepted
    expectDeliveredOnce(server.deliveries, secret, expected)
    // Passes every 10 s; waits of 5, 10, 20, 40, 80, 160 s: attempts at 0, 10, 20, 40, 80, 160 s, then 320 s.
    const schedule = [0, 10, 20, 40, 80, 160, 320].map((s) => s * 1_000)
    for (const [id, attempts] of attemptsById(server.deliveries)) {
      expect(
        attempts.map((a) => a.at - start),
        id,
      ).toEqual(schedule)
      expect(attempts.map((a) => a.status)).toEqual([503, 503, 503, 503, 503, 503, 200])
    }
    const [leaked] = server.deliveries.filter((d) => d.id === `key.leaked:${lasting.info.id}` && d.status === 200)
    expect(JSON.parse(leaked!.body)).toMatchObject({
      type: 'key.leaked',
      timestamp: new Date(start).toISOString(),
      data: { type: 'key.leaked', keyId: lasting.info.id },
    })
    expect(maintenanceEvents(events).sort()).toEqual(
      [...keys.map(({ info }) => `key.expiring_soon:${info.id}`), `key.leaked:${lasting.info.id}`].sort(),
    )
  })

  it('two instances on one SQLite file, maintaining at once: each notification delivered and emitted once in all', async () => {
    const clock = new Clock()
    const secret = newSecret()
    const tried = new Set<string>()
    // Each id is refused once, then accepted; answers take a little while, so the instances' sends overlap.
    const server = owned(
      await switchboard(
        clock,
        (id) => {
          const first = !tried.has(id)
          tried.add(id)
          return first ? 503 : 200
        },
        5,
      ),
    )
    const file = dbFile()
    const events: KeywardEvent[] = []
    const [a, b] = [0, 1].map(() => owned(keywardOn(owned(new SqliteKeyStore(file)), { clock, url: server.url, secret, events })))
    const start = clock.t
    const expiresAt = start + 2 * DAY_MS
    const keys = await Promise.all(
      Array.from({ length: 27 }, (_, i) => (i % 2 ? a! : b!).create({ name: `expiring ${i}`, expiresAt: new Date(expiresAt) })),
    )
    const leaked = keys.slice(0, 3).map(({ info }) => info.id)
    await Promise.all(leaked.flatMap((id) => [a!.reportLeak(id), b!.reportLeak(id)]))
    const expected = [...keys.map(({ info }) => expiringId(info.id, expiresAt)), ...leaked.map((id) => `key.leaked:${id}`)]

    const first = await Promise.all([a!.runMaintenance(), b!.runMaintenance()])
    expect(first.filter((r) => r.scanned)).toHaveLength(1) // the lease: one instance scans
    for (let round = 0; round < 6; round++) {
      clock.advance(10_000)
      await Promise.all([a!.runMaintenance(), b!.runMaintenance()])
    }
    // The lease runs out; the other instance scans with nothing in memory, and the ledger stops it notifying again.
    const idle = first[0]!.scanned ? b! : a!
    clock.advance(6 * 60_000)
    expect(await idle.runMaintenance()).toMatchObject({ scanned: true, notified: 0 })
    await Promise.all([a!.runMaintenance(), b!.runMaintenance()])

    expectDeliveredOnce(server.deliveries, secret, expected)
    for (const [id, attempts] of attemptsById(server.deliveries))
      expect(
        attempts.map((d) => d.status),
        id,
      ).toEqual([503, 200])
    const emitted = maintenanceEvents(events)
    expect(emitted.sort()).toEqual(
      [...keys.map(({ info }) => `key.expiring_soon:${info.id}`), ...leaked.map((id) => `key.leaked:${id}`)].sort(),
    )
  })

  it('a slow receiver: an instance sends no notification whose claim may have passed to another instance', async () => {
    const clock = new Clock()
    const secret = newSecret()
    // Each answer takes 15 s of the clock, so a batch of 8 outlasts the 60 s claim on it.
    const server = owned(
      await switchboard(
        clock,
        () => {
          clock.advance(15_000)
          return 200
        },
        20,
      ),
    )
    const file = dbFile()
    const [a, b] = [0, 1].map(() => owned(keywardOn(owned(new SqliteKeyStore(file)), { clock, url: server.url, secret })))
    const expiresAt = clock.t + DAY_MS
    const keys = await Promise.all(
      Array.from({ length: 8 }, (_, i) => a!.create({ name: `expiring ${i}`, expiresAt: new Date(expiresAt) })),
    )

    const running = a!.runMaintenance() // records all 8, claims them in one batch, sends them one by one
    let done = false
    void running.finally(() => (done = true))
    await until(() => server.deliveries.length > 0)
    while (!done) {
      await b!.runMaintenance() // delivers whatever is due and unclaimed meanwhile
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await running
    for (let round = 0; round < 10 && server.deliveries.length < keys.length; round++) {
      clock.advance(61_000) // claims left unsent lapse
      await Promise.all([a!.runMaintenance(), b!.runMaintenance()])
    }

    const expected = keys.map(({ info }) => expiringId(info.id, expiresAt))
    expectDeliveredOnce(server.deliveries, secret, expected)
    expect(server.deliveries).toHaveLength(expected.length)
  })

  it('a process killed mid-delivery loses nothing: a new instance past the claim delivers every notification once', async () => {
    const clock = new Clock()
    const secret = newSecret()
    let hang = true
    const server = owned(await switchboard(clock, () => (hang ? 'hang' : 200)))
    const file = dbFile()
    const expiresInMs = DAY_MS
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/delivering-instance.mjs', import.meta.url))], {
      env: {
        ...process.env,
        KEYWARD_E2E: JSON.stringify({ file, url: server.url, now: clock.t, keys: 4, prefix: PREFIX, expiresInMs }),
        KEYWARD_E2E_PEPPER: PEPPER,
        KEYWARD_E2E_WEBHOOK_SECRET: secret,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_, signal) => resolve(signal)))
    cleanup.push(() => child.kill('SIGKILL'))
    const lines: Record<string, unknown>[] = []
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(JSON.parse(line)))

    await until(() => server.deliveries.length > 0 || child.exitCode !== null)
    expect(server.deliveries.map((d) => d.status)).toEqual(['hang']) // one attempt in flight, unanswered
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    expect(lines).toHaveLength(1) // the ids, and no report: maintenance never finished
    const { ids } = lines[0] as { ids: string[] }
    const expected = [...ids.map((id) => expiringId(id, clock.t + expiresInMs)), `key.leaked:${ids[0]}`]
    expect(expected).toContain(server.deliveries[0]!.id)

    const events: KeywardEvent[] = []
    const keyward = owned(keywardOn(owned(new SqliteKeyStore(file)), { clock, url: server.url, secret, events }))
    clock.advance(30_000) // the dead process's claim still holds, and its maintenance lease
    expect(await keyward.runMaintenance()).toEqual({ scanned: false, notified: 0, delivered: 0, failed: 0 })
    expect(server.deliveries).toHaveLength(1)

    hang = false
    clock.advance(31_000) // past the 60 s claim
    expect(await keyward.runMaintenance()).toEqual({ scanned: false, notified: 0, delivered: expected.length, failed: 0 })
    clock.advance(6 * 60_000) // past the lease too: this instance scans, and the ledger has it all
    expect(await keyward.runMaintenance()).toEqual({ scanned: true, notified: 0, delivered: 0, failed: 0 })

    expectDeliveredOnce(server.deliveries, secret, expected)
    expect(server.deliveries).toHaveLength(expected.length + 1)
    expect(events).toEqual([])
  })
})
