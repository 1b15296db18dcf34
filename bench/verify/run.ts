/**
 * `pnpm bench`: verify() per second against a hand-written floor measured in the same run.
 *
 * Floor: parse (split + checksum) + Map lookup + digest with @noble/hashes (SHA-256, or
 * HMAC-SHA256 with the key pre-applied), both reusing hash state + 32-byte compare.
 * "warm" is the default (a repeat of a key that already matched is a constant-time compare, no
 * digest); "warm, no key memo" is `cache: { rememberVerifiedKeys: false }`, digesting every time.
 * Rounds are interleaved (floor, keyward, floor, …) and the medians reported, because this
 * machine is noisy. Usage: pnpm bench [-- --rounds 9 --ms 400]
 *
 * The access-rules table (issue 16; and imported keys, issue 17) compares, in the same run, keys with rules on against keys
 * without (both verified with a client address as `source`, pepper, warm cache, usage on).
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { createKeyward, type Keyward, MemoryKeyStore } from '@keyward/core'

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!)
const ROUNDS = Number(args.get('rounds') ?? 9)
const ROUND_MS = Number(args.get('ms') ?? 400)
const KEYS = 1000
const PEPPER = 'bench-pepper-0123456789-0123456789-abcdef'
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

type Hash = { update(d: Uint8Array): Hash; digestInto(o: Uint8Array): void; _cloneInto(t?: Hash): Hash }

/** The floor: the least work any verifier of this key format must do. */
function makeFloor(keys: { key: string; digest: Uint8Array }[], pepper: boolean) {
  const byId = new Map<string, Uint8Array>()
  for (const { key, digest } of keys) byId.set(key.split('_').at(-2)!, digest)
  const pristine = (pepper ? hmac.create(sha256, new TextEncoder().encode(PEPPER)) : sha256.create()) as unknown as Hash
  const scratch = pristine._cloneInto()
  const out = new Uint8Array(32)
  let input = new Uint8Array(0)
  const crcTable = new Int32Array(256).map((_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c
  })
  return (key: string): boolean => {
    const sep = key.lastIndexOf('_')
    const id = key.slice(key.lastIndexOf('_', sep - 1) + 1, sep)
    let crc = -1
    for (let i = 0; i < key.length - 6; i++) crc = crcTable[(crc ^ key.charCodeAt(i)) & 0xff]! ^ (crc >>> 8)
    let check = 0
    for (let i = key.length - 6; i < key.length; i++) check = check * 62 + ALPHABET.indexOf(key[i]!)
    if (check !== (crc ^ -1) >>> 0) return false
    const expected = byId.get(id)
    if (input.length !== key.length) input = new Uint8Array(key.length)
    for (let i = 0; i < key.length; i++) input[i] = key.charCodeAt(i)
    pristine._cloneInto(scratch)
    scratch.update(input)
    scratch.digestInto(out)
    if (!expected) return false
    let diff = 0
    for (let i = 0; i < 32; i++) diff |= out[i]! ^ expected[i]!
    return diff === 0
  }
}

async function opsPerSecond(run: (key: string) => unknown, keys: string[], asynchronous: boolean): Promise<number> {
  let ops = 0
  const end = performance.now() + ROUND_MS
  const start = performance.now()
  while (performance.now() < end) {
    for (let i = 0; i < 256; i++) {
      const result = run(keys[(ops + i) % keys.length]!)
      if (asynchronous) await result
    }
    ops += 256
  }
  return ops / ((performance.now() - start) / 1000)
}

type CacheMode = 'warm' | 'warm, no key memo' | 'off'

/** Access rules on every bench key (issue 16). */
type Rules =
  | 'none'
  | 'allow-list, 1 entry'
  | 'allow-list, 1,000 CIDRs'
  | 'roles + owner scopes and allow-list'
  | 'owner limit + 2 named limits'
  | 'imported (Better Auth digest), after first use'
const SOURCE = '203.0.113.7'

/** 1,000 random IPv4 /24 and IPv6 /48 ranges (CSPRNG bytes), plus one that holds SOURCE. */
function thousandRanges(): string[] {
  const bytes = crypto.getRandomValues(new Uint8Array(999 * 6))
  const ranges = Array.from({ length: 999 }, (_, i) => {
    const b = bytes.subarray(i * 6, i * 6 + 6)
    return i % 2 ? `${b[0]! % 200}.${b[1]}.${b[2]}.0/24` : `2001:${b[3]!.toString(16)}${b[4]!.toString(16)}:${b[5]!.toString(16)}::/48`
  })
  return [...ranges, '203.0.113.0/24']
}

function ruleInput(rules: Rules, ranges: string[]) {
  switch (rules) {
    case 'none':
    case 'imported (Better Auth digest), after first use':
      return {}
    case 'allow-list, 1 entry':
      return { allowedIps: ['203.0.113.0/24'] }
    case 'allow-list, 1,000 CIDRs':
      return { allowedIps: ranges }
    case 'roles + owner scopes and allow-list':
      return { ownerId: 'team-1', roles: ['reader'], scopes: ['messages:send'] }
    case 'owner limit + 2 named limits':
      return {
        ownerId: 'team-2',
        rateLimits: [
          { name: 'requests', limit: 1e9, windowMs: 60_000 },
          { name: 'tokens', limit: 1e12, windowMs: 60_000, algorithm: 'sliding' as const },
        ],
      }
  }
}

async function setup(pepper: boolean, mode: CacheMode, usage: boolean, rules: Rules = 'none') {
  const store = new MemoryKeyStore()
  const cache = mode === 'off' ? false : mode === 'warm' ? {} : { rememberVerifiedKeys: false }
  const keyward = createKeyward({
    prefix: 'acme_live',
    store,
    pepper: pepper ? PEPPER : false,
    cache,
    throttle: false,
    roles: { reader: ['contacts:read', 'contacts:sync'] },
    legacy: { prefixes: ['ba_'] },
    ...(!usage && { usage: false as const }),
  })
  await keyward.owners.set('team-1', { scopes: ['contacts:*', 'messages:*'], allowedIps: ['203.0.113.0/24', '2001:db8::/32'] })
  await keyward.owners.set('team-2', { rateLimits: [{ name: 'default', limit: 1e9, windowMs: 60_000 }] })
  const ranges = thousandRanges()
  const keys: { key: string; digest: Uint8Array }[] = []
  for (let i = 0; i < KEYS; i++) {
    const { key, info } =
      rules === 'imported (Better Auth digest), after first use'
        ? await importBetterAuthStyle(keyward, i)
        : await keyward.create({ name: `bench ${i}`, ...ruleInput(rules, ranges) })
    const record = await store.findById(info.id)
    keys.push({ key, digest: Uint8Array.from(Buffer.from(record!.digest, 'hex')) })
  }
  for (const { key } of keys) if (!(await keyward.verify(key, { source: SOURCE })).ok) throw new Error('bench key did not verify')
  // Imported keys are re-digested on their first use, off the request path: let those writes land.
  await new Promise((resolve) => setTimeout(resolve, 50))
  return { keyward, keys, floor: makeFloor(keys, pepper) }
}

/** A key as Better Auth's api-key plugin stores it (SHA-256 of the whole key, base64url), imported. */
async function importBetterAuthStyle(keyward: Keyward, i: number) {
  const key = `ba_${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url')}`
  const value = Buffer.from(sha256(new TextEncoder().encode(key))).toString('base64url')
  return { key, info: (await keyward.import({ name: `imported ${i}`, digest: { algorithm: 'sha256-base64url', value } })).info }
}

async function measureCreate(): Promise<number> {
  const keyward = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: PEPPER, lastUsed: false })
  const samples: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now()
    let n = 0
    while (performance.now() - start < ROUND_MS / 2) {
      await keyward.create({ name: 'bench' })
      n++
    }
    samples.push(n / ((performance.now() - start) / 1000))
  }
  await keyward.close()
  return median(samples)
}

const rows: string[] = []
// Usage counting is on by default (MemoryKeyStore keeps usage); the "usage off" rows measure its cost.
const CONFIGS = [true, false].flatMap((pepper) => [
  ...(['warm', 'warm, no key memo', 'off'] as const).map((mode) => ({ pepper, mode, usage: true })),
  ...(['warm', 'warm, no key memo'] as const).map((mode) => ({ pepper, mode, usage: false })),
])
for (const { pepper, mode, usage } of CONFIGS) {
  {
    const { keyward, keys, floor } = await setup(pepper, mode, usage)
    const plain = keys.map((k) => k.key)
    const floorRates: number[] = []
    const keywardRates: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      floorRates.push(await opsPerSecond(floor, plain, false))
      keywardRates.push(await opsPerSecond((key) => keyward.verify(key), plain, true))
    }
    await (keyward as Keyward).close()
    const f = median(floorRates)
    const k = median(keywardRates)
    // Each round pairs a floor run with a keyward run taken right after it: the median of the
    // per-round ratios is steadier than the ratio of medians when the machine is busy.
    const ratio = median(keywardRates.map((rate, i) => rate / floorRates[i]!))
    rows.push(
      `| ${pepper ? 'HMAC-SHA256 (pepper)' : 'SHA-256'} | ${mode === 'off' ? 'off (MemoryKeyStore)' : mode} | ${usage ? 'on' : 'off'} | ${Math.round(f).toLocaleString('en')} | ${Math.round(k).toLocaleString('en')} | ${ratio.toFixed(2)} | ${(1e6 / k).toFixed(2)} µs |`,
    )
  }
}
const ruleRows: string[] = []
const RULES: Rules[] = [
  'none',
  'allow-list, 1 entry',
  'allow-list, 1,000 CIDRs',
  'roles + owner scopes and allow-list',
  'owner limit + 2 named limits',
  'imported (Better Auth digest), after first use',
]
// Every configuration is set up first and measured in interleaved rounds, so JIT warm-up and the
// machine's drift fall on all of them alike.
const ruleSetups = await Promise.all(RULES.map((rules) => setup(true, 'warm', true, rules)))
const ruleRates: number[][] = RULES.map(() => [])
for (let round = 0; round < ROUNDS; round++)
  for (const [i, { keyward, keys }] of ruleSetups.entries())
    ruleRates[i]!.push(
      await opsPerSecond(
        (key) => keyward.verify(key, { source: SOURCE }),
        keys.map((k) => k.key),
        true,
      ),
    )
for (const { keyward } of ruleSetups) await keyward.close()
const noneMicros = 1e6 / median(ruleRates[0]!)
for (const [i, rules] of RULES.entries()) {
  const rate = median(ruleRates[i]!)
  const extra = 1e6 / rate - noneMicros
  ruleRows.push(
    `| ${rules} | ${Math.round(rate).toLocaleString('en')} | ${(1e6 / rate).toFixed(2)} µs | ${i === 0 ? '—' : `${extra >= 0 ? '+' : ''}${(extra * 1000).toFixed(0)} ns`} |`,
  )
}
const create = await measureCreate()

console.log(`verify(): ${ROUNDS} interleaved rounds of ${ROUND_MS} ms, ${KEYS} keys, medians (Node ${process.version})\n`)
console.log('| digest | cache | usage | floor ops/s | keyward.verify ops/s | ratio (median of paired rounds) | per verify |')
console.log('| --- | --- | --- | ---: | ---: | ---: | ---: |')
for (const row of rows) console.log(row)
console.log('\nAccess rules (HMAC-SHA256, warm cache, usage on, every verify with a source address):\n')
console.log('| rules on every key | keyward.verify ops/s | per verify | vs none |')
console.log('| --- | ---: | ---: | ---: |')
for (const row of ruleRows) console.log(row)
console.log(`\ncreate(): ${Math.round(create).toLocaleString('en')} keys/s (MemoryKeyStore, HMAC-SHA256, median of ${ROUNDS})`)
