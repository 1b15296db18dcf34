/**
 * The bridge between a Node-style request/response (Express, Koa, Fastify) and the Web `Request` /
 * `Response` the framework-free handlers speak. Structural: no `node:` import, so core stays
 * runtime-neutral and every adapter shares one bridge.
 */

/** A Node request body as the bridge reads it: a readable stream of byte chunks (`IncomingMessage`). */
export interface NodeBodyStream {
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown
  on(event: 'end', listener: () => void): unknown
  on(event: 'error', listener: (error: unknown) => void): unknown
  // biome-ignore lint/suspicious/noExplicitAny: Node's stream typings declare `off` with any[] listeners; unknown[] would not match them
  off(event: 'data' | 'end' | 'error', listener: (...args: any[]) => void): unknown
  pause(): unknown
  resume(): unknown
  /** True once the body was consumed (by a body parser, say): it can no longer be read. */
  readonly readableEnded?: boolean
}

/** What {@link webRequestFrom} builds a `Request` from. */
export interface WebRequestParts {
  method: string
  /** Path and query as received, relative to where the handler is mounted (`req.url` in Express). */
  url: string
  /** Header names and values as received, alternating (Node's `rawHeaders`), so repeats survive. */
  rawHeaders: readonly string[]
  /**
   * The body: the request stream (read only as far as the handler asks; what it leaves is drained),
   * or text a body parser already produced. Ignored for GET and HEAD, and when the headers announce
   * no body (no `Transfer-Encoding`, no positive `Content-Length`).
   */
  body?: NodeBodyStream | string | null
}

/** The origin of bridged requests: the handlers never read it (the `Host` header is never trusted). */
const BASE = 'http://localhost'

/**
 * A Web `Request` for a Node-style request.
 * @example
 * const request = webRequestFrom({ method: req.method, url: req.url, rawHeaders: req.rawHeaders, body: req })
 */
export function webRequestFrom(parts: WebRequestParts): Request {
  const headers = new Headers()
  let announcesBody = false
  for (let i = 0; i + 1 < parts.rawHeaders.length; i += 2) {
    const name = parts.rawHeaders[i]!.toLowerCase()
    const value = parts.rawHeaders[i + 1]!
    headers.append(name, value)
    if (name === 'transfer-encoding' || (name === 'content-length' && Number(value) > 0)) announcesBody = true
  }
  const method = parts.method.toUpperCase()
  const { body } = parts
  const withBody = method !== 'GET' && method !== 'HEAD' && announcesBody && body != null
  return new Request(BASE + (parts.url.startsWith('/') ? parts.url : `/${parts.url}`), {
    method,
    headers,
    ...(withBody && { body: typeof body === 'string' ? body : streamOf(body), duplex: 'half' }),
  } as RequestInit)
}

function streamOf(source: NodeBodyStream): ReadableStream<Uint8Array> {
  if (source.readableEnded) throw new TypeError('the request body was already read: mount Keyward before any body parser')
  const listeners = {
    data: (_chunk: Uint8Array) => {},
    end: () => {},
    error: (_error: unknown) => {},
  }
  const detach = () => {
    source.off('data', listeners.data)
    source.off('end', listeners.end)
    source.off('error', listeners.error)
  }
  return new ReadableStream<Uint8Array>({
    start(controller) {
      listeners.data = (chunk) => {
        controller.enqueue(chunk)
        if ((controller.desiredSize ?? 1) <= 0) source.pause()
      }
      listeners.end = () => {
        detach()
        controller.close()
      }
      listeners.error = (error) => {
        detach()
        controller.error(error)
      }
      source.on('data', listeners.data)
      source.on('end', listeners.end)
      source.on('error', listeners.error)
    },
    pull() {
      source.resume()
    },
    cancel() {
      // The handler has read enough (a body over its limit): drain the rest so the answer can go out.
      detach()
      source.resume()
    },
  })
}

/** A Web `Response` as a Node-style adapter writes it. */
export interface ResponseParts {
  status: number
  /** Lowercase names; `content-length` set when there is a body. */
  headers: Record<string, string>
  /** Null for a response without a body (204). */
  body: Uint8Array | null
}

/**
 * Status, headers and body bytes of `response`, for an adapter to write with its framework's own
 * calls (so its hooks still run), the same bytes in each.
 */
export async function responseParts(response: Response): Promise<ResponseParts> {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  if (response.body === null) return { status: response.status, headers, body: null }
  const body = new Uint8Array(await response.arrayBuffer())
  headers['content-length'] = String(body.byteLength)
  return { status: response.status, headers, body }
}

/**
 * Read a request body as UTF-8 text, at most `limit` bytes. Resolves null when the body is larger
 * (reading stops there and the rest is left to drain).
 */
export async function readLimitedText(request: Request, limit: number): Promise<string | null> {
  if (request.body === null) return ''
  const reader = request.body.getReader()
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
  let size = 0
  let text = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return text + decoder.decode()
    size += value.byteLength
    if (size > limit) {
      await reader.cancel()
      return null
    }
    text += decoder.decode(value, { stream: true })
  }
}
