import { createKeyward, MemoryKeyStore } from '@keyward/core'
import { describe, expect, it } from 'vitest'
import { expectPepperRefusal, startExample } from '../../../test/example-api-suite.js'

const entry = new URL('../src/index.ts', import.meta.url)

/** One sample of the Prometheus text format: metric name, labels, value. */
interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) continue
    const labels: Record<string, string> = {}
    for (const [, name, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[name!] = value!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return samples
}

/** The value of each sample named `name`, by its `outcome` label. */
function byOutcome(samples: Sample[], name: string): Record<string, number> {
  return Object.fromEntries(samples.filter((s) => s.name === name).map((s) => [s.labels.outcome, s.value]))
}

describe('example-metrics', () => {
  it('counts verifications by outcome and times them, scraped by Prometheus over HTTP', async () => {
    const elsewhere = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore() })
    const foreign = (await elsewhere.create({ name: 'Elsewhere' })).key // the right shape, unknown here
    await elsewhere.close()
    const server = await startExample(entry, { METRICS_PORT: '0' })
    try {
      const metricsUrl = /Metrics on (http:\/\/\S+)/.exec(server.output)![1]!
      const { keys } = server
      const call = (method: string, path: string, key?: string) =>
        fetch(server.base + path, {
          method,
          headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }) },
          ...(method === 'POST' && { body: '{"to":"+15550100"}' }),
        }).then((r) => r.status)

      const before = parseSamples(await (await fetch(metricsUrl)).text())
      expect(byOutcome(before, 'keyward_verifications_total')).toEqual({})

      const statuses = [
        ...(await Promise.all([1, 2, 3].map(() => call('GET', '/v1/me', keys['contacts:sync'])))),
        await call('POST', '/v1/messages', keys['messages:send']),
        await call('POST', '/v1/messages', keys['messages:send']),
        await call('POST', '/v1/messages', keys['contacts:sync']),
        await call('POST', '/v1/messages', keys['contacts:sync']),
        await call('GET', '/v1/me', foreign),
        await call('GET', '/v1/me', foreign),
        await call('GET', '/v1/me', `${keys['contacts:sync']!.slice(0, -2)}`),
        await call('GET', '/v1/me'), // no key: nothing to verify, nothing counted
      ]
      expect(statuses).toEqual([200, 200, 200, 202, 202, 403, 403, 401, 401, 401, 401])

      const scraped = await fetch(metricsUrl)
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/)
      const text = await scraped.text()
      const samples = parseSamples(text)
      const expected = { ok: 5, insufficient_scope: 2, invalid: 2, malformed: 1 }
      expect(byOutcome(samples, 'keyward_verifications_total')).toEqual(expected)
      expect(text).toMatch(/^# TYPE keyward_verifications_total counter$/m)
      expect(text).toMatch(/^# TYPE keyward_verify_duration histogram$/m)
      expect(byOutcome(samples, 'keyward_verify_duration_count')).toEqual(expected)
      const sums = byOutcome(samples, 'keyward_verify_duration_sum')
      for (const outcome of Object.keys(expected)) expect(sums[outcome]).toBeGreaterThanOrEqual(0)
      // Cumulative buckets: the +Inf bucket holds every verification of its outcome.
      const infinite = samples.filter((s) => s.name === 'keyward_verify_duration_bucket' && s.labels.le === '+Inf')
      expect(Object.fromEntries(infinite.map((s) => [s.labels.outcome, s.value]))).toEqual(expected)
      // The only label Keyward sets is the outcome: no key, no key id.
      for (const key of Object.values(keys)) {
        expect(text).not.toContain(key.split('_')[2]!)
        expect(text).not.toContain(key.slice(-10))
      }
      const labels = new Set(samples.filter((s) => s.name.startsWith('keyward_')).flatMap((s) => Object.keys(s.labels)))
      expect(labels).toEqual(new Set(['outcome', 'otel_scope_name', 'le']))
    } finally {
      await server.stop()
    }
  })

  it('refuses to start without KEYWARD_PEPPER, saying in one line how to make one', () => expectPepperRefusal(entry))
})
