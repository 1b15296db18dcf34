import { csvObjects } from './csv-parse.js'
import { numbered, ownerOf, sourceRow } from './rows.js'
import { SourceFile } from './source-file.js'
import type { ImportInput, ReadOptions, Source, SourceRow } from './types.js'
import { defined, flag, object, RowError, text, time } from './values.js'

/**
 * `--from csv`: a CSV file with a header row. Columns: `name`; either `key` (the key itself) or
 * `digest` + `algorithm` (sha256-hex, sha256-base64, sha256-base64url, prefixed-api-key) and, for
 * prefixed-api-key, `lookup_id`; optional `owner_id`, `scopes` (space-separated), `expires_at`,
 * `created_at`, `last_used_at` (ISO or epoch), `metadata` (a JSON object), `enabled` (true/false).
 */
export async function readCsv(source: string, options: ReadOptions): Promise<Source> {
  const file = new SourceFile(source, options.cwd)
  return { rows: () => numbered(csvObjects(file.chunks(), source), (cells, row) => csvRow(cells, row, options)) }
}

function csvRow(cells: Record<string, string>, row: number, options: ReadOptions): SourceRow {
  return sourceRow(row, [cells.key, cells.digest], () => {
    const key = text(cells.key)
    const digest = text(cells.digest)
    if (key !== undefined && digest !== undefined) throw new RowError('give key or digest, not both')
    const algorithm = text(cells.algorithm)
    if (digest !== undefined && algorithm === undefined) throw new RowError('algorithm: needed with a digest')
    const lookupId = text(cells.lookup_id)
    const input = defined({
      name: cells.name ?? '',
      ownerId: ownerOf(cells, options.ownerColumn, ['owner_id']),
      scopes: text(cells.scopes)?.split(/\s+/).filter(Boolean),
      expiresAt: time(cells.expires_at, 'expires_at') ?? undefined,
      createdAt: time(cells.created_at, 'created_at') ?? undefined,
      lastUsedAt: time(cells.last_used_at, 'last_used_at') ?? undefined,
      metadata: object(cells.metadata, 'metadata'),
      key,
      digest: digest === undefined ? undefined : defined({ algorithm, value: digest, lookupId }),
    }) as ImportInput
    return { input, disabled: !flag(cells.enabled, 'enabled', true) }
  })
}
