import { RowError } from './values.js'

/**
 * The records of a CSV text (RFC 4180: quoted fields may hold commas, quotes doubled, line breaks),
 * as objects keyed by the header row's names (trimmed, lowercased). Blank lines are skipped.
 */
export function parseCsv(text: string): Record<string, string>[] {
  const records = csvRecords(text.replace(/^\uFEFF/, ''))
  const header = records.shift()
  if (!header) throw new RowError('the CSV file is empty (it needs a header row)')
  const names = header.map((name) => name.trim().toLowerCase())
  return records
    .filter((fields) => fields.length > 1 || fields[0] !== '')
    .map((fields) => Object.fromEntries(names.map((name, i) => [name, fields[i] ?? ''])))
}

function csvRecords(text: string): string[][] {
  const records: string[][] = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c !== '"') field += c
      else if (text[i + 1] === '"') {
        field += '"'
        i++
      } else quoted = false
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') {
      fields.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      fields.push(field)
      records.push(fields)
      fields = []
      field = ''
    } else field += c
  }
  if (quoted) throw new RowError('the CSV file ends inside a quoted field')
  if (field !== '' || fields.length > 0) records.push([...fields, field])
  return records
}
