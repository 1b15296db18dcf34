import { responseParts, webRequestFrom } from '@keyward/core/http'
import type { Context } from 'koa'

/** The Web `Request` for `ctx`: a body that a body parser already read travels as its JSON. */
export function toWebRequest(ctx: Context): Request {
  const parsed = (ctx.request as { body?: unknown }).body
  return webRequestFrom({
    method: ctx.method,
    url: ctx.url,
    rawHeaders: ctx.req.rawHeaders,
    body: parsed !== undefined ? JSON.stringify(parsed) : ctx.req,
  })
}

/** Answer with a Web `Response` as it is: status, headers, body bytes. */
export async function sendWeb(ctx: Context, response: Response): Promise<void> {
  const { status, headers, body } = await responseParts(response)
  ctx.status = status
  ctx.set(headers)
  // Bytes, so Koa keeps the content type exactly (no charset added) and sets Content-Length.
  ctx.body = body === null ? null : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
}
