import { csvObjects } from './csv-parse.js'
import { jsonObjects } from './json-stream.js'
import { fold, folded, numbered, ownerOf, sourceRow } from './rows.js'
import { SourceFile } from './source-file.js'
import type { ImportInput, ReadOptions, Source, SourceRow } from './types.js'
import { defined, object, RowError, text, time } from './values.js'

/**
 * `--from prefixed-api-key`: rows as the prefixed-api-key package leaves them to be stored — a CSV
 * file (header row) or JSON (array or JSON lines) of `{ shortToken, longTokenHash, name?, ownerId? }`,
 * with optional `createdAt`, `lastUsedAt`, `expiresAt`, `metadata`. Field names match in any case,
 * with or without `_` (`short_token`).
 */
export async function readPrefixedApiKey(source: string, options: ReadOptions): Promise<Source> {
  const file = new SourceFile(source, options.cwd)
  const parse: (chunks: AsyncIterable<string>, path: string) => AsyncIterable<Record<string, unknown>> = /^\s*[[{]/.test(await file.head())
    ? jsonObjects
    : csvObjects
  const owner = options.ownerColumn === undefined ? undefined : fold(options.ownerColumn)
  return { rows: () => numbered(parse(file.chunks(), source), (record, row) => prefixedRow(folded(record), row, owner)) }
}

function prefixedRow(row: Record<string, unknown>, number: number, owner: string | undefined): SourceRow {
  return sourceRow(number, [row.longtokenhash], () => {
    const shortToken = text(row.shorttoken)
    const hash = text(row.longtokenhash)
    if (shortToken === undefined) throw new RowError('shortToken: missing')
    if (hash === undefined) throw new RowError('longTokenHash: missing')
    const input = defined({
      name: text(row.name) ?? `prefixed-api-key ${shortToken}`,
      ownerId: ownerOf(row, owner, ['ownerid', 'userid']),
      expiresAt: time(row.expiresat, 'expiresAt') ?? undefined,
      createdAt: time(row.createdat, 'createdAt') ?? undefined,
      lastUsedAt: time(row.lastusedat, 'lastUsedAt') ?? undefined,
      metadata: object(row.metadata, 'metadata'),
      digest: { algorithm: 'prefixed-api-key', value: hash, lookupId: shortToken },
    }) as ImportInput
    return { input }
  })
}
