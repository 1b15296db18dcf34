/**
 * The import's streaming readers: a CSV or JSON export parsed a chunk at a time gives the same
 * records however the text is cut (a quote, a CR LF, a key or an escape split between chunks), and
 * an export file changed between the check pass and the write pass is refused before anything is written.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CliError } from '../src/errors.js'
import { csvObjects } from '../src/import-sources/csv-parse.js'
import { jsonObjects } from '../src/import-sources/json-stream.js'
import { SourceFile } from '../src/import-sources/source-file.js'

const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-streams-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** `text` in pieces of `size` characters. */
async function* pieces(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size)
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}

/** The records of `text` parsed in pieces of every size from 1 to its length, all alike: resolves to them. */
async function sameAtEveryCut<T>(text: string, parse: (chunks: AsyncIterable<string>) => AsyncIterable<T>): Promise<T[]> {
  const whole = await collect(parse(pieces(text, text.length)))
  for (let size = 1; size < text.length; size++) expect(await collect(parse(pieces(text, size))), `pieces of ${size}`).toEqual(whole)
  return whole
}

/** The error `parse` ends with, which must be a CliError (exit 2). */
async function failure(items: AsyncIterable<unknown>): Promise<string> {
  const error = await collect(items).then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(error).toBeInstanceOf(CliError)
  expect((error as CliError).exitCode).toBe(2)
  return (error as CliError).message
}

describe('CSV read in chunks', () => {
  const csv = (chunks: AsyncIterable<string>) => csvObjects(chunks, 'keys.csv')

  it('reads quoted commas, doubled quotes, line breaks in fields, CR LF and a last line without a break, at any cut', async () => {
    const text = ' Name, Key ,X\r\n"a,b","he said ""hi""",\r\n\r\nplain,"multi\nline",last\nq"in,"",""""\r"trailing",no break'
    expect(await sameAtEveryCut(text, csv)).toEqual([
      { name: 'a,b', key: 'he said "hi"', x: '' },
      { name: 'plain', key: 'multi\nline', x: 'last' },
      { name: 'q"in', key: '', x: '"' },
      { name: 'trailing', key: 'no break', x: '' },
    ])
  })

  it('refuses an empty file and one ending inside a quoted field, naming the file', async () => {
    expect(await failure(csv(pieces('', 1)))).toMatch(/^keys\.csv is empty/)
    expect(await failure(csv(pieces('name,key\nx,"sk_live_secret', 4)))).toBe('keys.csv ends inside a quoted CSV field')
  })
})

describe('JSON read in chunks', () => {
  const json = (chunks: AsyncIterable<string>) => jsonObjects(chunks, 'export.json')

  it('reads a JSON array, with brackets, braces and escaped quotes inside strings, at any cut', async () => {
    const items = [{ a: 1 }, { b: 'x]}\\"{', c: { d: [1, 2, { e: null }] } }, { 'k"ey': '\u00e9' }]
    expect(await sameAtEveryCut(`\n[${items.map((item) => JSON.stringify(item)).join(',\n ')}]\n`, json)).toEqual(items)
    expect(await sameAtEveryCut('[]', json)).toEqual([])
  })

  it('reads the array under "keys" or "data" of a wrapping object, skipping what is beside it', async () => {
    const keys = [{ id: 'key_1' }, { id: 'key_2', meta: { keys: [1] } }]
    const wrapped = JSON.stringify({ total: 2, meta: { keys: [{ not: 'this' }], data: [] }, keys, data: [{ not: 'these' }] }, null, 2)
    expect(await sameAtEveryCut(wrapped, json)).toEqual(keys)
    expect(await sameAtEveryCut(JSON.stringify({ data: keys, pagination: { cursor: 'c' } }), json)).toEqual(keys)
  })

  it('reads JSON lines, blank lines skipped, and a single object', async () => {
    expect(await sameAtEveryCut('{"a":1}\n{"b":[2]}\r\n\n{"c":"}"}\n', json)).toEqual([{ a: 1 }, { b: [2] }, { c: '}' }])
    expect(await sameAtEveryCut(JSON.stringify({ hash: 'h', name: 'one' }, null, 2), json)).toEqual([{ hash: 'h', name: 'one' }])
  })

  it('refuses what is not objects, or not valid JSON, naming the line but never the content', async () => {
    expect(await failure(json(pieces('[{"a":1}, 2]', 3)))).toBe('export.json must hold JSON objects, one per key')
    expect(await failure(json(pieces('"sk_live_secret"', 3)))).toBe('export.json must hold JSON objects, one per key')
    const bad = await failure(json(pieces('{"a":1}\n{"hash": sk_live_secret}\n', 5)))
    expect(bad).toBe('export.json line 2 is not valid JSON')
    expect(await failure(json(pieces('{"a":1}\n{"hash":"sk_live_', 5)))).toBe('export.json ends inside a JSON value (line 2)')
    expect(await failure(json(pieces('[{"a":1}]\n[{"b":2}]', 5)))).toMatch(/^export\.json must hold one JSON array/)
    expect(await failure(json(pieces('{"keys":[{"a":1}]}\n{"b":2}', 5)))).toMatch(/^export\.json holds more after/)
  })

  it('refuses one object of over 16 MiB rather than holding it', async () => {
    const huge = async function* () {
      yield '[{"meta":"'
      for (let i = 0; i < 17; i++) yield 'x'.repeat(1024 * 1024)
      yield '"}]'
    }
    expect(await failure(json(huge()))).toMatch(/^export\.json holds a key of over 16 MiB of JSON \(line 1\)/)
  })
})

describe('an export file', () => {
  it('is read from its start each time, and refused when it changed after the first read', async () => {
    const path = join(dir, 'keys.csv')
    writeFileSync(path, '\uFEFFname,key\nfirst,one\n')
    const file = new SourceFile('keys.csv', dir)
    expect(await file.head()).toBe('name,key\nfirst,one\n')
    const read = async () => (await collect(file.chunks())).join('')
    expect(await read()).toBe('name,key\nfirst,one\n')
    expect(await read()).toBe('name,key\nfirst,one\n')
    writeFileSync(path, `${readFileSync(path, 'utf8')}second,two\n`)
    expect(await failure(file.chunks())).toBe('keys.csv changed after it was checked; nothing was written. Run the import again.')
    expect(await failure(new SourceFile('missing.csv', dir).chunks())).toBe('cannot read missing.csv (ENOENT)')
  })
})
