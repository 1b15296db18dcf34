import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { OutgoingNotification } from '@keyward/core'

/** One request as the receiver got it: raw body, lower-cased headers. */
export interface Received {
  path: string
  method: string
  headers: Record<string, string>
  body: string
}

export interface Receiver {
  url: string
  received: Received[]
  close(): Promise<void>
}

/** A fresh `whsec_` secret of `bytes` random bytes. */
export const newSecret = (bytes = 32) => `whsec_${randomBytes(bytes).toString('base64')}`

export const notification = (over: Partial<OutgoingNotification> = {}): OutgoingNotification => ({
  id: `ntf_${randomBytes(8).toString('hex')}`,
  type: 'key.expiring_soon',
  timestamp: new Date('2026-12-01T12:00:00.000Z'),
  payload: { keyId: 'key_1', expiresAt: '2026-12-08T12:00:00.000Z' },
  ...over,
})

/**
 * A real HTTP server on 127.0.0.1 and a free port that records every request, then answers with
 * `answer` (default 204).
 */
export async function receiver(answer: (request: Received, response: ServerResponse) => void = (_, res) => res.writeHead(204).end()) {
  const received: Received[] = []
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)]))
    const request = { path: req.url ?? '', method: req.method ?? '', headers, body: Buffer.concat(chunks).toString('utf8') }
    received.push(request)
    answer(request, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/keyward`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  } satisfies Receiver
}
