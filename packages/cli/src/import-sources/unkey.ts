import { jsonObjects } from './json-stream.js'
import { folded, fold, numbered, ownerOf, sourceRow } from './rows.js'
import { SourceFile } from './source-file.js'
import type { ImportInput, ReadOptions, Source, SourceRow } from './types.js'
import { blank, defined, flag, object, RowError, text, time, whole } from './values.js'

const DAY = 86_400_000
/** Unkey refills daily or monthly; Keyward refills every fixed interval, so a month is 30 days. */
const REFILL: Record<string, number> = { daily: DAY, monthly: 30 * DAY }

/**
 * `--from unkey`: an export of Unkey keys (their `keys` table or API objects plus the stored hash),
 * as a JSON array, `{ "keys": [...] }` or JSON lines. Per key: `hash` (SHA-256 of the whole key,
 * base64 as Unkey stores it, or hex; or `{ value, variant }`), `start`, `name`, the owner
 * (`ownerId`, `externalId`, `identity.externalId` or `owner_id`), `meta` (object or JSON text),
 * `expires`, `createdAt`/`created_at_m`, `enabled`, `remaining` (or `credits.remaining`), `refill`
 * (`{ interval: daily|monthly, amount }`), `ratelimit` (`{ limit, duration }`) or `ratelimits`
 * (`[{ name, limit, duration }]`), `permissions` (strings, as scopes).
 */
export async function readUnkey(source: string, options: ReadOptions): Promise<Source> {
  const file = new SourceFile(source, options.cwd)
  const owner = options.ownerColumn === undefined ? undefined : fold(options.ownerColumn)
  return { rows: () => numbered(jsonObjects(file.chunks(), source), (record, row) => unkeyRow(folded(record), row, owner)) }
}

function unkeyRow(key: Record<string, unknown>, row: number, owner: string | undefined): SourceRow {
  const hash = key.hash as unknown
  const value = typeof hash === 'object' && hash !== null ? (hash as Record<string, unknown>).value : hash
  return sourceRow(row, [value], () => {
    if (typeof value !== 'string' || value === '') throw new RowError('hash: missing')
    const identity = (key.identity ?? {}) as Record<string, unknown>
    const credits = folded((key.credits ?? {}) as Record<string, unknown>)
    const input = defined({
      name: text(key.name) ?? `Unkey key ${text(key.id) ?? row}`,
      ownerId: ownerOf({ ...key, identityexternalid: identity.externalId }, owner, ['ownerid', 'externalid', 'identityexternalid']),
      metadata: object(key.meta, 'meta'),
      expiresAt: time(key.expires, 'expires') ?? undefined,
      createdAt: time(key.createdat ?? key.createdatm, 'createdAt') ?? undefined,
      lastUsedAt: time(key.lastusedat, 'lastUsedAt') ?? undefined,
      credits: creditsOf(key.remaining ?? key.remainingrequests ?? credits.remaining, key.refill ?? credits.refill),
      ...rateLimitsOf(key.ratelimit, key.ratelimits),
      scopes: Array.isArray(key.permissions) ? key.permissions.map(String) : undefined,
      digest: { algorithm: encodingOf(value), value },
    }) as ImportInput
    return { input, disabled: !flag(key.enabled, 'enabled', true), start: text(key.start) ?? null }
  })
}

/** How a SHA-256 is written: 64 hex digits, else base64 or base64url by its alphabet. */
function encodingOf(value: string): 'sha256-hex' | 'sha256-base64' | 'sha256-base64url' {
  if (/^[0-9a-f]{64}$/i.test(value)) return 'sha256-hex'
  return /[-_]/.test(value) ? 'sha256-base64url' : 'sha256-base64'
}

function creditsOf(remaining: unknown, refill: unknown) {
  const left = whole(remaining, 'remaining')
  if (left === null) return undefined
  if (blank(refill)) return { remaining: left }
  const { interval, amount } = refill as { interval?: unknown; amount?: unknown }
  const intervalMs = REFILL[String(interval)]
  if (intervalMs === undefined) throw new RowError('refill.interval: expected daily or monthly')
  return { remaining: left, refill: { amount: whole(amount, 'refill.amount') ?? left, intervalMs } }
}

function rateLimitsOf(single: unknown, many: unknown) {
  const windowOf = (limit: Record<string, unknown>, field: string) =>
    whole(limit.duration ?? limit.refillInterval, `${field}.duration`) ?? undefined
  if (Array.isArray(many) && many.length > 0)
    return {
      rateLimits: many.map((limit: Record<string, unknown>, i) => ({
        name: String(limit.name ?? `limit${i + 1}`),
        limit: whole(limit.limit, `ratelimits[${i}].limit`),
        windowMs: windowOf(limit, `ratelimits[${i}]`),
      })),
    }
  if (blank(single)) return {}
  const limit = single as Record<string, unknown>
  return { rateLimit: { limit: whole(limit.limit, 'ratelimit.limit'), windowMs: windowOf(limit, 'ratelimit') } }
}
