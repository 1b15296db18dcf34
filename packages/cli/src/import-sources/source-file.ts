import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { CliError } from '../errors.js'

/** Text read at a time: the memory a file source holds besides the row being read. */
const CHUNK_BYTES = 64 * 1024

/**
 * An export file read as text a chunk at a time, from its start on every {@link SourceFile.chunks}
 * call (the check pass and the write pass each read it once; nothing of it is kept). A read after
 * the first refuses a file whose size or modification time changed, so the rows written are the
 * rows checked. Errors name the file and the failure code, never the content.
 */
export class SourceFile {
  readonly #path: string
  readonly #shown: string
  #seen: string | undefined

  constructor(path: string, cwd: string) {
    this.#shown = path
    this.#path = resolve(cwd, path)
  }

  /** The file's text in chunks of about 64 KiB (UTF-8, a leading byte-order mark removed). */
  async *chunks(): AsyncGenerator<string> {
    await this.#unchanged()
    const stream = createReadStream(this.#path, { encoding: 'utf8', highWaterMark: CHUNK_BYTES })
    let first = true
    try {
      for await (const chunk of stream as AsyncIterable<string>) {
        yield first ? chunk.replace(/^\uFEFF/, '') : chunk
        first = false
      }
    } catch (error) {
      throw this.#failure(error)
    } finally {
      stream.destroy()
    }
  }

  /** Up to the first 4 KiB of the file's text, to tell a format by its first character. */
  async head(): Promise<string> {
    try {
      const file = await open(this.#path)
      try {
        const { buffer, bytesRead } = await file.read({ buffer: Buffer.alloc(4096) })
        return buffer
          .subarray(0, bytesRead)
          .toString('utf8')
          .replace(/^\uFEFF/, '')
      } finally {
        await file.close()
      }
    } catch (error) {
      throw this.#failure(error)
    }
  }

  async #unchanged(): Promise<void> {
    let now: string
    try {
      const info = await stat(this.#path)
      now = `${info.size}:${info.mtimeMs}`
    } catch (error) {
      throw this.#failure(error)
    }
    if (this.#seen !== undefined && this.#seen !== now)
      throw new CliError(`${this.#shown} changed after it was checked; nothing was written. Run the import again.`)
    this.#seen = now
  }

  #failure(error: unknown): CliError {
    return error instanceof CliError
      ? error
      : new CliError(`cannot read ${this.#shown} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
}
