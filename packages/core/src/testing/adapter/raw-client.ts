/**
 * A raw HTTP/1.1 client: it sends exactly the bytes given (header values as latin1, repeated headers
 * kept apart) and sees exactly the bytes answered, so the suite can compare adapters byte for byte.
 */

/** What the client needs of a TCP socket: `connect(port, host)` of `node:net` returns one. */
export interface RawSocket {
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  on(event: 'close', listener: (hadError: boolean) => void): unknown
  write(data: Uint8Array): unknown
}

/** Opens a TCP connection: pass `connect` from `node:net`. */
export type Connect = (port: number, host: string) => RawSocket

export interface RawResponse {
  status: number
  /** Header lines as received, names lowercased. */
  headers: [string, string][]
  /** The body, decoded as UTF-8, cut at `Content-Length`. */
  body: string
  /** Everything received, as latin1. */
  raw: string
}

function latin1Bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff)
}

function latin1Text(bytes: Uint8Array): string {
  let text = ''
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192))
  return text
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/**
 * Send one request with `headers` written verbatim (latin1), `Host: 127.0.0.1` unless they name a
 * `Host` (one Host only: HTTP/1.1 servers may refuse a request with two), and `Connection: close`, and read the
 * whole answer (until the server closes the connection). A POST without `body` carries `Content-Length: 0`; a `body` is sent as UTF-8 with
 * its length, unless `headers` give a `Content-Length` or `Transfer-Encoding` themselves.
 */
export function rawRequest(
  connect: Connect,
  port: number,
  method: string,
  path: string,
  headers: [string, string][] = [],
  body?: string,
): Promise<RawResponse> {
  const payload = body === undefined ? undefined : new TextEncoder().encode(body)
  const framed = headers.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name))
  const length = framed
    ? ''
    : payload !== undefined
      ? `Content-Length: ${payload.length}\r\n`
      : method === 'POST'
        ? 'Content-Length: 0\r\n'
        : ''
  const head =
    `${method} ${path} HTTP/1.1\r\n${headers.some(([name]) => /^host$/i.test(name)) ? '' : 'Host: 127.0.0.1\r\n'}Connection: close\r\n` +
    headers.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
    length +
    '\r\n'
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    const socket = connect(port, '127.0.0.1')
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', () => {}) // a server that refuses a request may reset while we still write
    socket.on('close', () => {
      const bytes = concat(chunks)
      const raw = latin1Text(bytes)
      const end = raw.indexOf('\r\n\r\n')
      if (end < 0) return reject(new Error(`no HTTP response (got ${JSON.stringify(raw.slice(0, 200))})`))
      const [statusLine, ...lines] = raw.slice(0, end).split('\r\n')
      const parsed: [string, string][] = lines.map((line) => {
        const colon = line.indexOf(':')
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
      })
      let rest = bytes.subarray(end + 4)
      const declared = parsed.find(([name]) => name === 'content-length')
      if (declared) rest = rest.subarray(0, Number(declared[1]))
      resolve({ status: Number(statusLine!.split(' ')[1]), headers: parsed, body: new TextDecoder().decode(rest), raw })
    })
    // Written, not ended: a client's half-close makes Node's server drop an answer still on its way.
    socket.write(payload === undefined ? latin1Bytes(head) : concat([latin1Bytes(head), payload]))
  })
}

const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding'])

/** Headers without transport ones, as an object (a repeated header would show up as a failure). */
export function headerObject(response: RawResponse): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of response.headers) {
    if (TRANSPORT_HEADERS.has(name)) continue
    if (name in out) throw new Error(`header ${name} sent twice`)
    out[name] = value
  }
  return out
}
