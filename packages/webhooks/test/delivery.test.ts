import { Webhook, WebhookVerificationError } from 'standardwebhooks'
import { afterEach, describe, expect, it } from 'vitest'
import { standardWebhooks } from '../src/index.js'
import { newSecret, notification, type Receiver, receiver } from './receiver.js'

let server: Receiver
afterEach(() => server?.close())

describe('a delivery', () => {
  it('is a signed POST the reference implementation verifies, with { type, timestamp, data } as its body', async () => {
    const secret = newSecret()
    server = await receiver()
    const sent = notification()
    const before = Math.floor(Date.now() / 1000)
    await standardWebhooks({ url: server.url, secret }).send(sent)

    expect(server.received).toHaveLength(1)
    const [request] = server.received
    expect(request!.method).toBe('POST')
    expect(request!.path).toBe('/hooks/keyward')
    expect(request!.headers['content-type']).toBe('application/json')
    expect(request!.headers['user-agent']).toBe('keyward-webhooks')
    expect(request!.headers['webhook-id']).toBe(sent.id)
    const timestamp = Number(request!.headers['webhook-timestamp'])
    expect(timestamp).toBeGreaterThanOrEqual(before)
    expect(timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000))
    expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)

    const verified = new Webhook(secret).verify(request!.body, request!.headers)
    expect(verified).toEqual({ type: 'key.expiring_soon', timestamp: '2026-12-01T12:00:00.000Z', data: sent.payload })
    expect(JSON.parse(request!.body)).toEqual(verified)
  })

  it('fails verification when its body, id or timestamp was changed, or under another secret', async () => {
    const secret = newSecret()
    server = await receiver()
    await standardWebhooks({ url: server.url, secret }).send(notification())
    const { body, headers } = server.received[0]!
    const webhook = new Webhook(secret)
    expect(() => webhook.verify(body, headers)).not.toThrow()

    const tampered = body.replace('key_1', 'key_2')
    expect(tampered).not.toBe(body)
    expect(() => webhook.verify(tampered, headers)).toThrow(WebhookVerificationError)
    expect(() => webhook.verify(body, { ...headers, 'webhook-id': 'ntf_other' })).toThrow(WebhookVerificationError)
    const earlier = String(Number(headers['webhook-timestamp']) - 1)
    expect(() => webhook.verify(body, { ...headers, 'webhook-timestamp': earlier })).toThrow(WebhookVerificationError)
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow(WebhookVerificationError)
  })

  it('retried, keeps its webhook-id and is signed again with the time of the new attempt', async () => {
    const secret = newSecret()
    let attempts = 0
    server = await receiver((_, res) => res.writeHead(++attempts === 1 ? 503 : 200).end())
    const sender = standardWebhooks({ url: server.url, secret })
    const sent = notification()

    await expect(sender.send(sent)).rejects.toThrow(/503/)
    await new Promise((resolve) => setTimeout(resolve, 1_100)) // the next whole second
    await sender.send(sent)

    const [first, second] = server.received
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id'])
    expect(second!.body).toBe(first!.body)
    expect(Number(second!.headers['webhook-timestamp'])).toBeGreaterThan(Number(first!.headers['webhook-timestamp']))
    expect(second!.headers['webhook-signature']).not.toBe(first!.headers['webhook-signature'])
    for (const { body, headers } of [first!, second!]) expect(() => new Webhook(secret).verify(body, headers)).not.toThrow()
  })

  it('gives distinct notifications distinct ids', async () => {
    server = await receiver()
    const sender = standardWebhooks({ url: server.url, secret: newSecret() })
    await sender.send(notification())
    await sender.send(notification({ type: 'key.leaked' }))
    expect(new Set(server.received.map((r) => r.headers['webhook-id'])).size).toBe(2)
  })

  it('resolves on every 2xx', async () => {
    for (const status of [200, 202, 204, 299]) {
      server = await receiver((_, res) => res.writeHead(status).end(status === 204 ? undefined : 'ok'))
      await expect(standardWebhooks({ url: server.url, secret: newSecret() }).send(notification())).resolves.toBeUndefined()
      await server.close()
    }
  })

  it('sends extra headers and a user-agent of the caller, through the fetch given', async () => {
    server = await receiver()
    const calls: string[] = []
    const sender = standardWebhooks({
      url: new URL(server.url),
      secret: newSecret(),
      headers: { Authorization: 'Bearer gateway-token', 'User-Agent': 'acme-hooks/1.0' },
      fetch: (input, init) => {
        calls.push(String(input))
        return fetch(input, init)
      },
    })
    await sender.send(notification())
    expect(calls).toEqual([server.url])
    const { headers } = server.received[0]!
    expect(headers.authorization).toBe('Bearer gateway-token')
    expect(headers['user-agent']).toBe('acme-hooks/1.0')
  })
})
