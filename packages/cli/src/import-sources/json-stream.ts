import { CliError } from '../errors.js'

/** The most text one key's object may take: the memory bound of a JSON source besides what is read at a time. */
const MAX_ITEM_CHARS = 16 * 1024 * 1024

const [OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY, QUOTE, BACKSLASH, COMMA, LF] = [123, 125, 91, 93, 34, 92, 44, 10]
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13

/**
 * The objects of a JSON export read in chunks: a JSON array, an object holding one (`{ "keys": [...] }`,
 * `{ "data": [...] }`, the first of them in the object), a single object, or JSON lines (one object a
 * line). Each object's text is cut out of the stream as it ends and parsed alone, so only one key is
 * held at a time; an object over {@link MAX_ITEM_CHARS} is refused. Errors name the line, never the content.
 */
export async function* jsonObjects(chunks: AsyncIterable<string>, path: string): AsyncGenerator<Record<string, unknown>> {
  const scanner = new JsonItems(path)
  for await (const chunk of chunks) yield* scanner.push(chunk)
  scanner.end()
}

/** A scanner of JSON text that tracks nesting and strings only, and hands out the text of each item. */
class JsonItems {
  #depth = 0
  #inString = false
  #escape = false
  #line = 1
  /** Top-level values begun; the kind of the current one. */
  #values = 0
  #top: 'array' | 'object' | undefined
  /** The first top-level object holds the items in an array under "keys" or "data". */
  #wrapper = false
  /** The depth items begin at (0: the top-level object is the item), or -1 when none are read. */
  #itemDepth = -1
  /** The text of the item being read, up to the current chunk; undefined outside an item. */
  #item: string | undefined
  #itemLine = 0
  /** The start of the last string at depth 1 of the first top-level object (enough of it to tell a wrapper's key). */
  #key = ''
  #inKey = false

  constructor(readonly path: string) {}

  *push(text: string): Generator<Record<string, unknown>> {
    let start = 0 // where the current item's text begins in `text`
    let keyStart = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === LF) this.#line++
      if (this.#inString) {
        if (this.#escape) this.#escape = false
        else if (c === BACKSLASH) this.#escape = true
        else if (c === QUOTE) {
          this.#inString = false
          if (this.#inKey) {
            this.#key = (this.#key + text.slice(keyStart, i)).slice(0, 8)
            this.#inKey = false
          }
        }
        continue
      }
      if (isSpace(c)) continue
      if (this.#depth === 0) this.#beginValue(c)
      if (this.#depth === this.#itemDepth && this.#item === undefined) {
        if (c === COMMA || c === CLOSE_ARRAY) {
          if (c === CLOSE_ARRAY) this.#close(c)
          continue
        }
        if (c !== OPEN_OBJECT) throw this.#error('must hold JSON objects, one per key')
        this.#item = ''
        this.#itemLine = this.#line
        start = i
      }
      if (c === QUOTE) {
        this.#inString = true
        if (this.#top === 'object' && this.#depth === 1 && this.#values === 1 && !this.#wrapper) {
          this.#inKey = true
          this.#key = ''
          keyStart = i + 1
        }
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (c === OPEN_ARRAY && this.#depth === 1 && this.#inWrapperKey()) {
          this.#wrapper = true
          this.#item = undefined
          this.#itemDepth = 2
        }
        this.#depth++
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        this.#close(c)
        if (this.#item !== undefined && this.#depth === this.#itemDepth) {
          const item = this.#item + text.slice(start, i + 1)
          this.#item = undefined
          yield this.#parse(item)
        }
      }
    }
    if (this.#inKey) this.#key = (this.#key + text.slice(keyStart)).slice(0, 8)
    if (this.#item !== undefined) {
      this.#item += text.slice(start)
      if (this.#item.length > MAX_ITEM_CHARS)
        throw this.#error(
          `holds a key of over ${MAX_ITEM_CHARS / 1024 / 1024} MiB of JSON (line ${this.#itemLine}); is it an export of keys?`,
        )
    }
  }

  /** Checks the text ended where a value may. */
  end(): void {
    if (this.#depth > 0 || this.#inString)
      throw this.#error(`ends inside a JSON value (line ${this.#item === undefined ? this.#line : this.#itemLine})`)
  }

  /** A top-level value begins with `c`: an array of items, or an object (an item, or a wrapper of them). */
  #beginValue(c: number): void {
    if (this.#values > 0 && this.#top !== 'object') throw this.#error('must hold one JSON array, or JSON objects one per line')
    if (this.#wrapper) throw this.#error('holds more after its { "keys": [...] } object')
    this.#values++
    if (c === OPEN_ARRAY) {
      if (this.#values > 1) throw this.#error('must hold one JSON array, or JSON objects one per line')
      this.#top = 'array'
      this.#itemDepth = 1
    } else if (c === OPEN_OBJECT) {
      this.#top = 'object'
      this.#itemDepth = 0
    } else throw this.#error('must hold JSON objects, one per key')
  }

  #inWrapperKey(): boolean {
    return this.#top === 'object' && this.#values === 1 && !this.#wrapper && (this.#key === 'keys' || this.#key === 'data')
  }

  #close(c: number): void {
    this.#depth--
    if (this.#depth < 0) throw this.#error(`is not valid JSON (line ${this.#line})`)
    // The wrapper's array ended: the rest of its object holds no items.
    if (this.#wrapper && c === CLOSE_ARRAY && this.#depth === 1) this.#itemDepth = -1
  }

  #parse(text: string): Record<string, unknown> {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      // JSON.parse's message quotes the input, which may hold a digest.
      throw this.#error(`line ${this.#itemLine} is not valid JSON`)
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw this.#error('must hold JSON objects, one per key')
    return value as Record<string, unknown>
  }

  #error(message: string): CliError {
    return new CliError(`${this.path} ${message}`)
  }
}
