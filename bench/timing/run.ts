/**
 * `pnpm bench:timing`: a dudect-style timing-leak test over `verify()`.
 *
 * Four input classes, interleaved in random order after a warm-up:
 *   wrong-secret   a real key id with another (checksum-valid) secret
 *   unknown-id     a checksum-valid key whose id does not exist
 *   bad-checksum   a real key with one character changed (refused before any lookup)
 *   valid          a real key
 * Each call is timed alone. Welch's t-test between classes, on the raw samples and on samples
 * cropped at dudect's percentiles; we report max |t|. The classes that must not be told apart are
 * wrong-secret vs unknown-id (both reach a digest): target max |t| < 4.5. The others are meant to
 * differ and show the test can see a difference.
 *
 * Usage: pnpm bench:timing [-- --samples 200000 --cache on|off]
 */
import { randomBytes } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { createKeyward, MemoryKeyStore } from '@keyward/core'

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!)
const SAMPLES = Number(args.get('samples') ?? 200_000)
const CACHE = (args.get('cache') ?? 'on') === 'on'
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function base62(value: number, width: number): string {
  let out = ''
  do {
    out = ALPHABET[value % 62] + out
    value = Math.floor(value / 62)
  } while (value > 0)
  return out.padStart(width, '0')
}
const withChecksum = (body: string) => body + base62(crc32(body), 6)

const store = new MemoryKeyStore()
const keyward = createKeyward({
  prefix: 'acme_live',
  store,
  pepper: 'timing-pepper-0123456789-0123456789-abcdef',
  cache: CACHE ? { ttlMs: 3_600_000, negativeTtlMs: 3_600_000 } : false,
  lastUsed: false,
  throttle: false,
})
const other = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: false })

const POOL = 16
const classes: Record<string, string[]> = { 'wrong-secret': [], 'unknown-id': [], 'bad-checksum': [], valid: [] }
for (let i = 0; i < POOL; i++) {
  const { key } = await keyward.create({ name: `timing ${i}` })
  const foreign = (await other.create({ name: 'x' })).key
  classes.valid!.push(key)
  classes['wrong-secret']!.push(withChecksum(key.slice(0, 23) + foreign.slice(23, -6)))
  classes['unknown-id']!.push(foreign)
  classes['bad-checksum']!.push(key.slice(0, 30) + (key[30] === 'a' ? 'b' : 'a') + key.slice(31))
}
// Every input as a fresh flat string, as a header value arrives: how a string was built (sliced,
// concatenated) changes how fast the engine reads it, which is not what this test is about.
for (const keys of Object.values(classes)) for (const [i, key] of keys.entries()) keys[i] = Buffer.from(key, 'latin1').toString('latin1')
const names = Object.keys(classes)
for (const [name, keys] of Object.entries(classes)) {
  for (const key of keys) {
    const result = await keyward.verify(key)
    const expected = name === 'valid' ? 'ok' : name === 'bad-checksum' ? 'malformed' : 'invalid'
    if ((result.ok ? 'ok' : result.code) !== expected) throw new Error(`${name}: unexpected ${JSON.stringify(result)}`)
  }
}

async function measure(count: number): Promise<Map<string, number[]>> {
  const samples = new Map(names.map((n) => [n, [] as number[]]))
  const rnd = randomBytes(count)
  for (let i = 0; i < count; i++) {
    const name = names[rnd[i]! & 3]!
    const key = classes[name]![i % POOL]!
    const start = process.hrtime.bigint()
    await keyward.verify(key)
    samples.get(name)!.push(Number(process.hrtime.bigint() - start))
  }
  return samples
}

function welch(a: number[], b: number[]): number {
  const stats = (xs: number[]) => {
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)
    return { mean, variance, n: xs.length }
  }
  const x = stats(a)
  const y = stats(b)
  return (x.mean - y.mean) / Math.sqrt(x.variance / x.n + y.variance / y.n)
}

/** max |t| over the raw samples and dudect's percentile crops (both classes cut at the same bound). */
function maxT(a: number[], b: number[]): { t: number; meanA: number; meanB: number } {
  const pooled = [...a, ...b].sort((p, q) => p - q)
  let worst = Math.abs(welch(a, b))
  for (let k = 0; k < 100; k += 5) {
    const bound = pooled[Math.floor((1 - 0.5 ** ((10 * (k + 1)) / 100)) * (pooled.length - 1))]!
    const ca = a.filter((x) => x < bound)
    const cb = b.filter((x) => x < bound)
    if (ca.length > 100 && cb.length > 100) worst = Math.max(worst, Math.abs(welch(ca, cb)))
  }
  const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1]!
  return { t: worst, meanA: median(a), meanB: median(b) }
}

await measure(Math.min(20_000, SAMPLES / 5)) // warm-up: JIT, caches
const samples = await measure(SAMPLES)
const pairs: [string, string, string][] = [
  ['wrong-secret', 'unknown-id', 'must not differ: target max |t| < 4.5'],
  ['wrong-secret', 'valid', 'differ by design (success path)'],
  ['unknown-id', 'bad-checksum', 'differ by design (no digest for a bad checksum)'],
]
console.log(`verify() timing, ${SAMPLES.toLocaleString('en')} samples, cache ${CACHE ? 'on' : 'off'}, Node ${process.version}\n`)
console.log('| class A | class B | median A (ns) | median B (ns) | max abs t | |')
console.log('| --- | --- | ---: | ---: | ---: | --- |')
for (const [a, b, note] of pairs) {
  const r = maxT(samples.get(a)!, samples.get(b)!)
  console.log(`| ${a} | ${b} | ${Math.round(r.meanA)} | ${Math.round(r.meanB)} | ${r.t.toFixed(2)} | ${note} |`)
}
await keyward.close()
await other.close()
