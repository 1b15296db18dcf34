import { resolve } from 'node:path'
import { CliError } from '../errors.js'
import { urlScheme, urlSecrets } from '../redact.js'
import { importStorePackage } from '../store-package.js'
import { folded, fold, numbered, ownerOf, sourceRow } from './rows.js'
import type { ImportInput, ReadOptions, Source, SourceRow } from './types.js'
import { defined, flag, json, object, RowError, text, time, whole } from './values.js'

/** The table Better Auth's api-key plugin keeps its keys in. */
const TABLE = 'apikey'
/** What Better Auth's default hasher stores: SHA-256 of the whole key, base64url without padding. */
const HASHED = /^[A-Za-z0-9_-]{43}$/

/**
 * `--from better-auth`: the `apikey` table of Better Auth's api-key plugin, in a SQLite file
 * (`sqlite:./auth.db`) or a PostgreSQL database (`postgres://…`). `key` holds the SHA-256 of the
 * whole key in base64url (the plugin's default; with `disableKeyHashing` it holds the key itself,
 * which is imported as such); `referenceId` (older versions: `userId`) becomes the owner,
 * `permissions` (`{"files":["read"]}`) the scopes `files:read`, `remaining`/`refillAmount`/
 * `refillInterval` the credits, `rateLimitMax`/`rateLimitTimeWindow` the rate limit when
 * `rateLimitEnabled`, `lastRequest` the last use; `enabled: false` keys are imported disabled.
 */
export async function readBetterAuth(source: string, options: ReadOptions): Promise<Source> {
  const select = await selector(source, options.cwd)
  const owner = options.ownerColumn === undefined ? undefined : fold(options.ownerColumn)
  return { rows: () => numbered(select(), (record, row) => betterAuthRow(folded(record), row, owner)) }
}

function betterAuthRow(row: Record<string, unknown>, number: number, owner: string | undefined): SourceRow {
  return sourceRow(number, [row.key], () => {
    const stored = text(row.key)
    if (stored === undefined) throw new RowError('key: missing')
    const input = defined({
      name: text(row.name) ?? `Better Auth key ${text(row.id) ?? number}`,
      ownerId: ownerOf(row, owner, ['referenceid', 'userid']),
      scopes: scopesOf(row.permissions),
      metadata: object(row.metadata, 'metadata'),
      expiresAt: time(row.expiresat, 'expiresAt') ?? undefined,
      createdAt: time(row.createdat, 'createdAt') ?? undefined,
      lastUsedAt: time(row.lastrequest, 'lastRequest') ?? undefined,
      credits: creditsOf(row),
      rateLimit: rateLimitOf(row),
      ...(HASHED.test(stored) ? { digest: { algorithm: 'sha256-base64url', value: stored } } : { key: stored }),
    }) as ImportInput
    return { input, disabled: !flag(row.enabled, 'enabled', true), start: text(row.prefix) ?? text(row.start) ?? null }
  })
}

/** Better Auth's permissions (`{ resource: [action, …] }`) as scopes `resource:action`. */
function scopesOf(value: unknown): string[] | undefined {
  const permissions = json(value, 'permissions')
  if (permissions === null) return undefined
  if (typeof permissions !== 'object' || Array.isArray(permissions)) throw new RowError('permissions: expected { "resource": ["action"] }')
  return Object.entries(permissions as Record<string, unknown>).flatMap(([resource, actions]) =>
    (Array.isArray(actions) ? actions : []).map((action) => `${resource}:${String(action)}`),
  )
}

function creditsOf(row: Record<string, unknown>) {
  const remaining = whole(row.remaining, 'remaining')
  if (remaining === null) return undefined
  const amount = whole(row.refillamount, 'refillAmount')
  const intervalMs = whole(row.refillinterval, 'refillInterval')
  return amount === null || intervalMs === null ? { remaining } : { remaining, refill: { amount, intervalMs } }
}

function rateLimitOf(row: Record<string, unknown>) {
  if (!flag(row.ratelimitenabled, 'rateLimitEnabled', false)) return undefined
  const limit = whole(row.ratelimitmax, 'rateLimitMax')
  const windowMs = whole(row.ratelimittimewindow, 'rateLimitTimeWindow')
  return limit === null || windowMs === null ? undefined : { limit, windowMs }
}

/** Reads the rows of the `apikey` table, from SQLite (a row at a time) or PostgreSQL, each time it is called. */
async function selector(source: string, cwd: string): Promise<() => AsyncIterable<Record<string, unknown>>> {
  const scheme = /^([a-z]+):/.exec(source)?.[1]
  if (scheme === 'sqlite') {
    const path = source.replace(/^sqlite:(\/\/)?/, '')
    const { default: Database } = await importStorePackage(
      { scheme: 'sqlite', store: 'better-sqlite3', driver: 'better-sqlite3' },
      () => import('better-sqlite3'),
    )
    return async function* () {
      let db: InstanceType<typeof Database> | undefined
      try {
        db = new Database(resolve(cwd, path), { readonly: true, fileMustExist: true })
        yield* db.prepare(`SELECT * FROM "${TABLE}"`).iterate() as Iterable<Record<string, unknown>>
      } catch (error) {
        throw new CliError(`cannot read the ${TABLE} table of ${path}: ${(error as Error).message}`)
      } finally {
        db?.close()
      }
    }
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const { default: pg } = await importStorePackage({ scheme: 'postgres', store: 'pg', driver: 'pg' }, () => import('pg'))
    // One query: the table of a Better Auth deployment is read whole (pg holds the result), unlike the export files.
    return async function* () {
      const client = new pg.Client({ connectionString: source, connectionTimeoutMillis: 5_000 })
      let rows: Record<string, unknown>[]
      try {
        await client.connect()
        rows = (await client.query(`SELECT * FROM "${TABLE}"`)).rows
      } catch (error) {
        let message = (error as Error).message
        for (const secret of urlSecrets(source)) message = message.split(secret).join('…')
        throw new CliError(`cannot read the ${TABLE} table from PostgreSQL: ${message}`, 4)
      } finally {
        await client.end().catch(() => undefined)
      }
      yield* rows
    }
  }
  throw new CliError(`--from better-auth reads sqlite:./auth.db or postgres://…, not a source of scheme ${urlScheme(source)}`)
}
