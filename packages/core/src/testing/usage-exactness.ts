import { createKeyward, type KeyStore, type Keyward, type UsageOutcome } from '@keyward/core'
import { expect, it } from 'vitest'
import { KeyFormat } from '../format.js'
import { cryptoRandom } from '../lib/base62.js'

/** Options of {@link runUsageExactness}. */
export interface UsageExactnessOptions {
  /** Open a store on the test's data; called three times (two instances, then a reader), each a separate connection. */
  open: () => KeyStore | Promise<KeyStore>
  /**
   * Verifications in all.
   * @default 1_000_000
   */
  verifications?: number
  /**
   * Distinct keys.
   * @default 1_000
   */
  keys?: number
  /** @default 300_000 */
  timeoutMs?: number
}

const PREFIX = 'usage_exact'
const PEPPER = 'usage-exactness-pepper-of-32-bytes!!'
const T0 = Date.UTC(2026, 6, 1, 9, 58, 30)
/** How far the clock of a run moves: from T0, past 09:59 and 10:00. */
const CLOCK_SPAN_MS = 125_000
/** Outcomes by key: most keys answer `ok`, a share of keys answer each failure. */
const PLAN: { outcome: UsageOutcome; every: number }[] = [
  { outcome: 'revoked', every: 10 },
  { outcome: 'disabled', every: 7 },
  { outcome: 'insufficient_scope', every: 5 },
  { outcome: 'invalid', every: 3 },
]

/**
 * Registers a test: `verifications` verifications over `keys` keys, split across two Keyward
 * instances on separate store connections that flush usage while verifying (and across a minute
 * and an hour boundary of their clock), then `close()`; a third instance then reads usage, and the
 * totals per key and outcome must equal exactly what was sent (DESIGN §12).
 *
 * @example
 * runUsageExactness('SqliteKeyStore', { open: () => new SqliteKeyStore({ connection: file }) })
 */
export function runUsageExactness(name: string, options: UsageExactnessOptions): void {
  const total = options.verifications ?? 1_000_000
  const keyCount = options.keys ?? 1_000
  it(
    `${name}: usage totals after ${total.toLocaleString('en')} verifications over ${keyCount} keys and two instances equal what was sent`,
    async () => {
      let clock = T0
      const open = async () =>
        createKeyward({
          prefix: PREFIX,
          store: await options.open(),
          pepper: PEPPER,
          throttle: false,
          usage: { flushMs: 50 },
          lastUsed: false,
          // Warnings only: a debug line per verification is a million lines for the suite's secret
          // check to scan after the file (minutes, past its hook timeout), about keys no other test lacks.
          logger: (entry) => {
            if (entry.level === 'warn') console.warn(entry.message, entry.fields)
          },
          now: () => clock,
        })
      const instances = [await open(), await open()]
      const keys = await makeKeys(instances[0]!, keyCount)
      const expected = new Map<string, Partial<Record<UsageOutcome, number>>>()
      // The clock runs from T0 over CLOCK_SPAN_MS whatever the count (1 ms per 8 verifications of
      // the default million): every run crosses a minute and an hour boundary.
      for (let i = 0; i < total; i++) {
        const key = keys[i % keyCount]!
        clock = T0 + 1 + Math.floor((i * CLOCK_SPAN_MS) / total)
        const keyward = instances[i % 2]!
        const result = await keyward.verify(key.present, key.outcome === 'insufficient_scope' ? { scopes: ['admin:all'] } : undefined)
        const outcome = result.ok ? 'ok' : result.code
        if (outcome !== key.outcome) expect(outcome, `verification ${i} of key ${key.id}`).toBe(key.outcome)
        const counts = expected.get(key.id) ?? {}
        counts[key.outcome] = (counts[key.outcome] ?? 0) + 1
        expected.set(key.id, counts)
        // Let the flush timers of both instances run now and then, so writes interleave with counting.
        if (i % 20_000 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
      }
      await Promise.all(instances.map((keyward) => keyward.close()))
      const reader = await open()
      try {
        const from = Date.UTC(2026, 6, 1)
        const ranked = await reader.topKeys({ from, to: from + 86_400_000, limit: 1000 })
        expect(ranked).toHaveLength(keyCount)
        for (const row of ranked) expect(row.counts, row.keyId).toEqual(expected.get(row.keyId))
        expect(ranked.reduce((sum, row) => sum + row.total, 0)).toBe(total)
        const minutes = await reader.usage({ from: T0 - 60_000, to: clock + 60_000, granularity: 'minute' })
        expect(minutes.buckets.filter((bucket) => Object.keys(bucket.counts).length > 0).length).toBeGreaterThan(1)
        const minuteTotal = minutes.buckets.reduce((sum, b) => sum + Object.values(b.counts).reduce((a, c) => a + c, 0), 0)
        expect(minuteTotal).toBe(total)
      } finally {
        await reader.close()
      }
    },
    options.timeoutMs ?? 300_000,
  )
}

/** Keys in the states of {@link PLAN}, each with the string to present for its outcome. */
async function makeKeys(keyward: Keyward, count: number): Promise<{ id: string; present: string; outcome: UsageOutcome }[]> {
  const format = new KeyFormat({ prefix: PREFIX })
  const keys: { id: string; present: string; outcome: UsageOutcome }[] = []
  for (let i = 0; i < count; i++) {
    const { key, info } = await keyward.create({ name: `exact ${i}`, ownerId: `owner-${i % 13}`, scopes: ['messages:send'] })
    const outcome = PLAN.find((step) => i % step.every === 0)?.outcome ?? 'ok'
    if (outcome === 'revoked') await keyward.revoke(info.id)
    if (outcome === 'disabled') await keyward.disable(info.id)
    // A wrong secret for a known id: a well-formed key (valid checksum) with this id and another secret.
    const present = outcome === 'invalid' ? format.generate(cryptoRandom, info.id).key : key
    keys.push({ id: info.id, present, outcome })
  }
  return keys
}
