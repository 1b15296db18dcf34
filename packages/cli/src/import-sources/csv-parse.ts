import { CliError } from '../errors.js'

/**
 * The records of a CSV text read in chunks (RFC 4180: quoted fields may hold commas, quotes doubled,
 * line breaks), as objects keyed by the header row's names (trimmed, lowercased). Blank lines are
 * skipped. Only the record being read is held, so a file of any length takes the same memory.
 */
export async function* csvObjects(chunks: AsyncIterable<string>, path: string): AsyncGenerator<Record<string, string>> {
  const parser = new CsvRecords(path)
  let names: string[] | undefined
  const objects = function* (records: string[][]) {
    for (const fields of records) {
      if (names === undefined) names = fields.map((name) => name.trim().toLowerCase())
      else if (fields.length > 1 || fields[0] !== '') yield Object.fromEntries(names.map((name, i) => [name, fields[i] ?? '']))
    }
  }
  for await (const chunk of chunks) yield* objects(parser.push(chunk))
  yield* objects(parser.end())
  if (names === undefined) throw new CliError(`${path} is empty (a CSV file needs a header row)`)
}

/** A CSV tokenizer fed a chunk at a time: state carries over, so a field, a doubled quote or a CR LF may span chunks. */
class CsvRecords {
  #fields: string[] = []
  #field = ''
  #quoted = false
  /** In a quoted field, a quote that ends it unless the next character is a quote too. */
  #quote = false
  /** A record ended at CR: an LF right after it belongs to the same line break. */
  #cr = false

  constructor(readonly path: string) {}

  /** The records completed by `text`. */
  push(text: string): string[][] {
    const records: string[][] = []
    let i = 0
    while (i < text.length) {
      if (this.#cr) {
        this.#cr = false
        if (text[i] === '\n') {
          i++
          continue
        }
      }
      if (this.#quote) {
        this.#quote = false
        if (text[i] === '"') {
          this.#field += '"'
          i++
          continue
        }
        this.#quoted = false
      }
      if (this.#quoted) {
        const quote = text.indexOf('"', i)
        const end = quote === -1 ? text.length : quote
        this.#field += text.slice(i, end)
        this.#quote = quote !== -1
        i = end + 1
        continue
      }
      const c = text[i]
      if (c === '"' && this.#field === '') this.#quoted = true
      else if (c === ',') {
        this.#fields.push(this.#field)
        this.#field = ''
      } else if (c === '\n' || c === '\r') {
        records.push(this.#record())
        this.#cr = c === '\r'
      } else {
        // A run of plain characters (a quote inside an unquoted field is one of them).
        let j = i + 1
        while (j < text.length && !isDelimiter(text.charCodeAt(j))) j++
        this.#field += text.slice(i, j)
        i = j
        continue
      }
      i++
    }
    return records
  }

  /** The last record, when the text does not end with a line break. */
  end(): string[][] {
    if (this.#quote) this.#quoted = this.#quote = false
    if (this.#quoted) throw new CliError(`${this.path} ends inside a quoted CSV field`)
    return this.#field !== '' || this.#fields.length > 0 ? [this.#record()] : []
  }

  #record(): string[] {
    const record = [...this.#fields, this.#field]
    this.#fields = []
    this.#field = ''
    return record
  }
}

/** A comma, LF or CR. */
const isDelimiter = (code: number) => code === 44 || code === 10 || code === 13
