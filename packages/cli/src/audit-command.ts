import type { KeyFormat, Keyward } from '@keyward/core'
import { parseDuration } from './durations.js'
import { CliError, EXIT } from './errors.js'
import type { Io } from './io.js'
import { keyId } from './key-id.js'
import { table } from './table.js'

type AuditEntry = Awaited<ReturnType<Keyward['auditLog']>>['items'][number]

export interface AuditFlags {
  key?: string | undefined
  owner?: string | undefined
  actor?: string | undefined
  since?: string | undefined
  limit?: string | undefined
  cursor?: string | undefined
  json?: boolean | undefined
}

const USAGE = 'keyward audit [--key <id>] [--owner <id>] [--actor <id>] [--since <24h|2027-01-31>] [--limit <n>] [--json]'
const DEFAULT_LIMIT = 50
const MAX_LIMIT = 100_000
/** The most entries the store gives in one page. */
const PAGE = 100

/** `--since`: a duration back from now (`90m`, `24h`, `7d`) or an ISO date/time. */
function parseSince(text: string, now: number): Date {
  if (/^\d+(?:\.\d+)?(?:ms|s|m|h|d|w)?$/.test(text.trim())) return new Date(now - parseDuration(text, '--since'))
  const date = /^\d{4}-\d{2}-\d{2}/.test(text) ? new Date(text) : new Date(NaN)
  if (Number.isNaN(date.getTime()))
    throw new CliError(`--since: expected a duration back from now (24h, 7d) or an ISO date (2027-01-31), got ${JSON.stringify(text)}`)
  return date
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT
  const limit = /^\d+$/.test(text) ? Number(text) : NaN
  if (!(limit >= 1 && limit <= MAX_LIMIT))
    throw new CliError(`--limit: expected a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(text)}`)
  return limit
}

function row(entry: AuditEntry): string[] {
  return [
    entry.at.toISOString(),
    entry.action,
    entry.keyId ?? '—',
    entry.ownerId ?? '—',
    entry.actor?.id ?? '—',
    entry.actor?.ip ?? '—',
    entry.fields?.join(',') || '—',
  ]
}

/**
 * `keyward audit`: the audit log, newest first, as a table or (`--json`) one JSON object a line;
 * pages through the store up to `--limit` entries (default 50).
 */
export async function runAudit(keyward: Keyward, format: KeyFormat, positionals: string[], flags: AuditFlags, io: Io): Promise<number> {
  if (positionals.length > 1) throw new CliError(`usage: ${USAGE}`)
  const limit = parseLimit(flags.limit)
  const query = {
    ...(flags.key !== undefined && { keyId: keyId(flags.key, 'keyward audit --key <id>', format) }),
    ...(flags.owner !== undefined && { ownerId: flags.owner }),
    ...(flags.actor !== undefined && { actorId: flags.actor }),
    ...(flags.since !== undefined && { from: parseSince(flags.since, Date.now()) }),
  }
  const entries: AuditEntry[] = []
  let cursor = flags.cursor
  do {
    const page = await keyward.auditLog({
      ...query,
      limit: Math.min(PAGE, limit - entries.length),
      ...(cursor !== undefined && { cursor }),
    })
    entries.push(...page.items)
    cursor = page.nextCursor
  } while (cursor !== undefined && entries.length < limit)

  if (flags.json) for (const entry of entries) io.out(`${JSON.stringify(entry)}\n`)
  else {
    io.out(`${table(['TIME', 'ACTION', 'KEY', 'OWNER', 'ACTOR', 'IP', 'FIELDS'], entries.map(row))}\n`)
    if (cursor !== undefined) io.err(`more: keyward audit … --cursor ${cursor}\n`)
  }
  return EXIT.ok
}
