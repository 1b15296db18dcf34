import type { ApiKeyInfo } from '@keyward/core'
import { relative } from './durations.js'
import type { Io } from './io.js'
import { table } from './table.js'

/** One key as `get`, `update` and the other key commands show it: a field a line, or one JSON object with `--json`. */
export function printKey(info: ApiKeyInfo, json: boolean, io: Io, note?: string): void {
  if (json) io.out(`${JSON.stringify(info)}\n`)
  else {
    if (note) io.err(`${note}\n`)
    io.out(`${infoRows(info)}\n`)
  }
}

/** Keys as `list` shows them: a table, one key a row. */
export function keyTable(items: ApiKeyInfo[]): string {
  return table(
    ['ID', 'NAME', 'KEY', 'STATUS', 'SCOPES', 'CREATED', 'LAST USED'],
    items.map((k) => [
      k.id,
      k.name,
      k.redacted,
      k.status,
      k.scopes.join(' ') || '—',
      relative(k.createdAt),
      k.lastUsedAt ? relative(k.lastUsedAt) : 'never',
    ]),
  )
}

function infoRows(info: ApiKeyInfo): string {
  const rows: [string, string][] = [
    ['id', info.id],
    ['name', info.name],
    ['key', info.redacted],
    ['status', info.status],
    ['owner', info.ownerId ?? '—'],
    ['scopes', info.scopes.join(' ') || '—'],
    ['created', info.createdAt.toISOString()],
    ['last used', info.lastUsedAt ? `${info.lastUsedAt.toISOString()} (${relative(info.lastUsedAt)})` : 'never'],
    ['expires', info.expiresAt ? `${info.expiresAt.toISOString()} (${relative(info.expiresAt)})` : 'never'],
  ]
  if (info.rotatedFromId) rows.push(['rotated from', info.rotatedFromId])
  if (info.rotatedToId) rows.push(['rotated to', info.rotatedToId])
  if (Object.keys(info.metadata).length > 0) rows.push(['metadata', JSON.stringify(info.metadata)])
  return rows.map(([k, v]) => `${k.padEnd(13)}${v}`).join('\n')
}
