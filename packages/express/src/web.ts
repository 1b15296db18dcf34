import { responseParts, webRequestFrom } from '@keyward/core/http'
import type { Request as ExpressRequest, Response } from 'express'

/** The Web `Request` for `req`: a body that a body parser already read travels as its JSON. */
export function toWebRequest(req: ExpressRequest): Request {
  return webRequestFrom({
    method: req.method,
    url: req.url,
    rawHeaders: req.rawHeaders,
    body: req.body !== undefined ? JSON.stringify(req.body) : req,
  })
}

/** Write a Web `Response` as it is: status, headers, body bytes. */
export async function sendWeb(res: Response, response: globalThis.Response): Promise<void> {
  const { status, headers, body } = await responseParts(response)
  res.statusCode = status
  for (const name in headers) res.setHeader(name, headers[name]!)
  res.end(body ?? undefined)
}
