/**
 * The Keyward instance and key every HTTP bench server uses. `--usage off` (KEYWARD_BENCH_USAGE)
 * turns usage counting off; `--rules on` (KEYWARD_BENCH_RULES) gives the key every access rule of
 * issue 16: an allow-list of 1,000 CIDR ranges holding loopback, a role, an owner with scopes, an
 * allow-list and a shared limit, and two named limits (one sliding), all far above the load.
 */
import { createKeyward, MemoryKeyStore } from '@keyward/core'

export async function benchKeyward() {
  const rules = process.env.KEYWARD_BENCH_RULES === 'on'
  const keyward = createKeyward({
    prefix: 'acme_live',
    store: new MemoryKeyStore(),
    pepper: 'bench-pepper-0123456789-0123456789-abcdef',
    roles: { reader: ['contacts:read'] },
    ...(process.env.KEYWARD_BENCH_USAGE === 'off' && { usage: false as const }),
  })
  if (!rules) return { keyward, key: (await keyward.create({ name: 'bench' })).key }
  await keyward.owners.set('bench-team', {
    scopes: ['*'],
    allowedIps: ['127.0.0.0/8', '::1'],
    rateLimits: [{ name: 'default', limit: 1e12, windowMs: 60_000 }],
  })
  const { key } = await keyward.create({
    name: 'bench',
    ownerId: 'bench-team',
    roles: ['reader'],
    allowedIps: [...randomRanges(998), '127.0.0.0/8', '::1'],
    rateLimits: [
      { name: 'requests', limit: 1e12, windowMs: 60_000 },
      { name: 'tokens', limit: 1e12, windowMs: 60_000, algorithm: 'sliding' },
    ],
  })
  return { keyward, key }
}

/** Random IPv4 /24 and IPv6 /48 ranges from CSPRNG bytes, none of them loopback. */
function randomRanges(count: number): string[] {
  const bytes = crypto.getRandomValues(new Uint8Array(count * 4))
  return Array.from({ length: count }, (_, i) => {
    const [a, b, c] = bytes.subarray(i * 4, i * 4 + 3)
    return i % 2 ? `${10 + (a! % 100)}.${b}.${c}.0/24` : `2001:db8:${((a! << 8) | b!).toString(16)}::/48`
  })
}
