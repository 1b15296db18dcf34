import type { Request } from 'express'

/** The request body was larger than allowed; nothing more of it was kept. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The request body must be at most ${limit} bytes.`)
    this.name = 'BodyTooLargeError'
  }
}

/** Read the raw request body as UTF-8, refusing more than `limit` bytes. */
export function readRawBody(req: Request, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const fail = (error: unknown): void => {
      req.off('data', onData)
      req.resume()
      reject(error)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) fail(new BodyTooLargeError(limit))
      else chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.once('error', fail)
  })
}
