import { afterEach, describe, expect, it } from 'vitest'
import { freePort } from '../../../scripts/services.mjs'
import { standardWebhooks } from '../src/index.js'
import { newSecret, notification, type Receiver, receiver } from './receiver.js'

let server: Receiver | undefined
afterEach(() => server?.close())

/** The error `send` rejects with (failing the test if it resolves). */
async function failure(promise: Promise<void>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(outcome).toBeInstanceOf(Error)
  return outcome as Error
}

/** Neither form of the secret, nor any 8 characters of its base64, is in the text. */
function expectNoSecret(text: string, secret: string) {
  const base64 = secret.slice('whsec_'.length)
  for (let i = 0; i + 8 <= base64.length; i++) expect(text).not.toContain(base64.slice(i, i + 8))
}

describe('send rejects', () => {
  it('on a non-2xx answer, naming the status and quoting at most 200 characters of the body, without the secret', async () => {
    const secret = newSecret()
    // A receiver that echoes what it was configured with (the secret) in a long error page.
    server = await receiver((_, res) => res.writeHead(500).end(`invalid signature for ${secret}\n${'x'.repeat(5_000)}`))
    const error = await failure(standardWebhooks({ url: server.url, secret }).send(notification()))
    expect(error.message).toMatch(/^webhook receiver answered 500: invalid signature for \[secret\] x+$/)
    expect(error.message.length).toBeLessThanOrEqual('webhook receiver answered 500: '.length + 200)
    expectNoSecret(`${error.message} ${error.stack}`, secret)
  })

  it('on a 4xx with an empty body, naming the status alone', async () => {
    server = await receiver((_, res) => res.writeHead(410).end())
    const error = await failure(standardWebhooks({ url: server.url, secret: newSecret() }).send(notification()))
    expect(error.message).toBe('webhook receiver answered 410')
  })

  it('on a redirect, which it does not follow', async () => {
    server = await receiver((request, res) =>
      request.path === '/moved' ? res.writeHead(200).end() : res.writeHead(307, { location: '/moved' }).end(),
    )
    const error = await failure(standardWebhooks({ url: server.url, secret: newSecret() }).send(notification()))
    expect(error.message).toBe('webhook receiver answered 307 (redirects are not followed)')
    expect(server.received.map((r) => r.path)).toEqual(['/hooks/keyward'])
  })

  it('when the receiver does not answer within timeoutMs', async () => {
    const secret = newSecret()
    server = await receiver(() => {}) // holds every request
    const started = Date.now()
    const error = await failure(standardWebhooks({ url: server.url, secret, timeoutMs: 300 }).send(notification()))
    expect(error.message).toBe('webhook receiver did not answer within 300 ms')
    expect(Date.now() - started).toBeLessThan(3_000)
    expectNoSecret(`${error.message} ${error.stack}`, secret)
  })

  it('when a refusal never finishes its body within timeoutMs', async () => {
    server = await receiver((_, res) => res.writeHead(502).write('upstream'))
    const error = await failure(standardWebhooks({ url: server.url, secret: newSecret(), timeoutMs: 300 }).send(notification()))
    expect(error.message).toBe('webhook receiver did not answer within 300 ms')
  })

  it('when the connection is refused, saying so', async () => {
    const secret = newSecret()
    const url = `http://127.0.0.1:${await freePort()}/hooks`
    const error = await failure(standardWebhooks({ url, secret }).send(notification()))
    expect(error.message).toMatch(/^webhook delivery failed: .*ECONNREFUSED/)
    expectNoSecret(`${error.message} ${error.stack}`, secret)
  })

  it('when the receiver drops the connection without answering', async () => {
    server = await receiver((_, res) => res.socket?.destroy())
    const error = await failure(standardWebhooks({ url: server.url, secret: newSecret() }).send(notification()))
    expect(error.message).toMatch(/^webhook delivery failed: /)
  })
})

describe('standardWebhooks throws a TypeError at construction', () => {
  const secret = newSecret()

  it.each([
    ['not a URL', 'hooks.example.com/keyward', /not a valid URL/],
    ['ftp:', 'ftp://hooks.example.com/keyward', /must be http: or https:, not ftp:/],
    ['file:', 'file:///etc/passwd', /must be http: or https:, not file:/],
  ])('for a url that is %s', (_, url, message) => {
    expect(() => standardWebhooks({ url, secret })).toThrow(TypeError)
    expect(() => standardWebhooks({ url, secret })).toThrow(message)
  })

  it.each([
    ['bare base64 (no whsec_ prefix)', secret.slice('whsec_'.length), /"whsec_" followed by base64/],
    ['not base64', `whsec_${'!'.repeat(32)}`, /"whsec_" followed by base64/],
    ['badly padded', `${secret}=`, /"whsec_" followed by base64/],
    ['empty', 'whsec_', /must encode 24 to 64 bytes, not 0/],
    ['too short', newSecret(16), /must encode 24 to 64 bytes, not 16/],
    ['too long', newSecret(65), /must encode 24 to 64 bytes, not 65/],
    ['not a string', 42 as unknown as string, /"whsec_" followed by base64/],
  ])('for a secret that is %s, without echoing it', (_, bad, message) => {
    let thrown: unknown
    try {
      standardWebhooks({ url: 'https://hooks.example.com/keyward', secret: bad })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(TypeError)
    expect((thrown as TypeError).message).toMatch(message)
    if (typeof bad === 'string' && bad.length > 'whsec_'.length + 8) expectNoSecret((thrown as TypeError).message, bad)
  })

  it('accepts the bounds of the secret length', () => {
    for (const bytes of [24, 64]) expect(() => standardWebhooks({ url: 'http://localhost/h', secret: newSecret(bytes) })).not.toThrow()
  })

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('for timeoutMs %s', (timeoutMs) => {
    expect(() => standardWebhooks({ url: 'https://hooks.example.com/keyward', secret, timeoutMs })).toThrow(
      /`timeoutMs` must be a positive integer/,
    )
  })

  it.each(['webhook-id', 'Webhook-Signature', 'webhook-timestamp', 'Content-Type'])('for a header of its own, %s', (name) => {
    expect(() => standardWebhooks({ url: 'https://hooks.example.com/keyward', secret, headers: { [name]: 'x' } })).toThrow(
      new RegExp(`cannot set ${name.toLowerCase()}`),
    )
  })
})
