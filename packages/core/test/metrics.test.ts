import { describe, expect, it } from 'vitest'
import type { MeterLike } from '../src/analytics-api.js'
import { createKeyward, MemoryKeyStore } from '../src/index.js'
import { CountingStore, PEPPER } from './helpers.js'

interface Recorded {
  instrument: string
  value: number
  attributes: Record<string, string> | undefined
}

/** A meter that keeps what was recorded on it, with the options each instrument was created with. */
function recordingMeter() {
  const records: Recorded[] = []
  const instruments: Record<string, { kind: string; options: unknown }> = {}
  const meter: MeterLike = {
    createCounter(name, options) {
      instruments[name] = { kind: 'counter', options }
      return { add: (value, attributes) => void records.push({ instrument: name, value, attributes }) }
    },
    createHistogram(name, options) {
      instruments[name] = { kind: 'histogram', options }
      return { record: (value, attributes) => void records.push({ instrument: name, value, attributes }) }
    },
  }
  const countsByOutcome = () => {
    const counts: Record<string, number> = {}
    for (const r of records.filter((r) => r.instrument === 'keyward.verifications'))
      counts[r.attributes!.outcome!] = (counts[r.attributes!.outcome!] ?? 0) + r.value
    return counts
  }
  return { meter, records, instruments, countsByOutcome }
}

describe('metrics', () => {
  it('counts each verification by outcome and records its duration in ms, malformed keys included', async () => {
    const { meter, records, instruments, countsByOutcome } = recordingMeter()
    const keyward = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: PEPPER, metrics: meter })
    expect(instruments).toEqual({
      'keyward.verifications': { kind: 'counter', options: expect.objectContaining({ description: expect.any(String) }) },
      'keyward.verify.duration': { kind: 'histogram', options: expect.objectContaining({ unit: 'ms' }) },
    })
    const { key, info } = await keyward.create({ name: 'CRM', ownerId: 'team-1', scopes: ['contacts:read'] })
    const { key: revoked, info: revokedInfo } = await keyward.create({ name: 'Old' })
    await keyward.revoke(revokedInfo.id)
    const wrongSecret = key.slice(0, -8) + (key.endsWith('A') ? 'B' : 'A').repeat(8) // fails the checksum or the digest
    const other = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: PEPPER })
    const { key: unknown } = await other.create({ name: 'elsewhere' })

    const outcomes = [
      await keyward.verify(key),
      await keyward.verify(key, { scopes: ['contacts:read'] }),
      await keyward.verify(key, { scopes: ['contacts:write'] }),
      await keyward.verify(revoked),
      await keyward.verify(unknown),
      await keyward.verify('acme_live_nope'),
      await keyward.verify(42),
      await keyward.verify(''),
      await keyward.verify(wrongSecret),
    ].map((r) => (r.ok ? 'ok' : r.code))
    expect(outcomes.slice(0, 8)).toEqual(['ok', 'ok', 'insufficient_scope', 'revoked', 'invalid', 'malformed', 'malformed', 'malformed'])
    const expected: Record<string, number> = {}
    for (const outcome of outcomes) expected[outcome] = (expected[outcome] ?? 0) + 1
    expect(countsByOutcome()).toEqual(expected)

    const counts = records.filter((r) => r.instrument === 'keyward.verifications')
    const durations = records.filter((r) => r.instrument === 'keyward.verify.duration')
    expect(counts.map((r) => r.value)).toEqual(outcomes.map(() => 1))
    expect(durations.map((r) => r.attributes)).toEqual(outcomes.map((outcome) => ({ outcome })))
    for (const { value } of durations) {
      expect(Number.isFinite(value)).toBe(true)
      expect(value).toBeGreaterThanOrEqual(0)
    }
    // The only attribute is the outcome: no key, no key id, no owner, no secret fragment.
    const attributes = JSON.stringify(records.map((r) => r.attributes))
    for (const secret of [key, revoked, unknown, info.id, revokedInfo.id, 'team-1', key.slice(-38, -30)])
      expect(attributes).not.toContain(secret)
    for (const r of records) expect(Object.keys(r.attributes!)).toEqual(['outcome'])
    await keyward.close()
    await other.close()
  })

  it('counts a store failure as store_unavailable', async () => {
    const { meter, countsByOutcome } = recordingMeter()
    const store = new CountingStore()
    const keyward = createKeyward({ prefix: 'acme_live', store, pepper: PEPPER, cache: false, metrics: meter })
    const { key } = await keyward.create({ name: 'CRM' })
    store.failing = true
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'store_unavailable' })
    expect(countsByOutcome()).toEqual({ store_unavailable: 1 })
    store.failing = false
    await keyward.close()
  })

  it('records nothing without a meter, and refuses something that is not one', async () => {
    expect(() => createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: PEPPER, metrics: {} as MeterLike })).toThrow(
      /metrics must be an OpenTelemetry Meter/,
    )
    const keyward = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: PEPPER })
    expect((await keyward.verify('acme_live_nope')).ok).toBe(false)
    await keyward.close()
  })
})
