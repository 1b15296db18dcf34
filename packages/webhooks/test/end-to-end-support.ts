import { createKeyward, type KeywardEvent, type KeyStore } from '@keyward/core'
import { Webhook } from 'standardwebhooks'
import { expect } from 'vitest'
import { standardWebhooks } from '../src/index.js'
import { type Received, type Receiver, receiver } from './receiver.js'

export const PREFIX = 'hooks_e2e'
export const PEPPER = 'webhooks-end-to-end-test-pepper-0123456789abcdef'
export const DAY_MS = 86_400_000

/** A clock the test moves: Keyward's `now`, read by the receiver to stamp each request. */
export class Clock {
  t = Date.now()
  readonly now = (): number => this.t
  advance(ms: number): void {
    this.t += ms
  }
}

/** How the receiver answers a request: a status, or `'hang'` (accept, read the body, never answer). */
export type Answer = number | 'hang'

/** One request the receiver got, with the test clock when it arrived and how it was answered. */
export interface Delivery extends Received {
  id: string
  at: number
  status: Answer
}

export interface Switchboard extends Receiver {
  deliveries: Delivery[]
}

/** A real HTTP receiver (see receiver.ts) answering each request as `answer` says at its arrival, `delayMs` later. */
export async function switchboard(clock: Clock, answer: (id: string) => Answer, delayMs = 0): Promise<Switchboard> {
  const deliveries: Delivery[] = []
  const server = await receiver((request, response) => {
    const id = request.headers['webhook-id'] ?? ''
    const status = answer(id)
    deliveries.push({ ...request, id, at: clock.now(), status })
    if (status !== 'hang') setTimeout(() => response.writeHead(status).end(), delayMs)
  })
  return { ...server, deliveries }
}

/** A Keyward instance on `store` that delivers to `url` and collects its events in `events`. */
export function keywardOn(store: KeyStore, options: { clock: Clock; url: string; secret: string; events?: KeywardEvent[] }) {
  return createKeyward({
    prefix: PREFIX,
    store,
    pepper: PEPPER,
    now: options.clock.now,
    throttle: false,
    webhooks: standardWebhooks({ url: options.url, secret: options.secret }),
    hooks: { onEvent: (event) => options.events?.push(event) },
  })
}

/** The ledger id Keyward gives a key's `key.expiring_soon` (its webhook-id). */
export const expiringId = (keyId: string, expiresAt: number) => `key.expiring_soon:${keyId}:${expiresAt}`

/**
 * Every request verifies with the reference implementation under `secret`, its body is the
 * notification its webhook-id names, and each of `expected` was answered 2xx exactly once (no
 * other id was delivered).
 */
export function expectDeliveredOnce(deliveries: readonly Delivery[], secret: string, expected: readonly string[]): void {
  const webhook = new Webhook(secret)
  for (const delivery of deliveries) {
    const verified = webhook.verify(delivery.body, delivery.headers) as { type: string; timestamp: string; data: { type: string } }
    expect(delivery.id.startsWith(`${verified.type}:`)).toBe(true)
    expect(verified.data.type).toBe(verified.type)
  }
  const accepted = deliveries.filter((d) => typeof d.status === 'number' && d.status >= 200 && d.status < 300).map((d) => d.id)
  expect(accepted.sort()).toEqual([...expected].sort())
}

/** Requests per webhook-id. */
export function attemptsById(deliveries: readonly Delivery[]): Map<string, Delivery[]> {
  const byId = new Map<string, Delivery[]>()
  for (const delivery of deliveries) byId.set(delivery.id, [...(byId.get(delivery.id) ?? []), delivery])
  return byId
}

/** Resolve once `condition` holds, polling every 10 ms; reject after `limitMs`. */
export async function until(condition: () => boolean, limitMs = 15_000): Promise<void> {
  const start = performance.now()
  while (!condition()) {
    if (performance.now() - start > limitMs) throw new Error(`condition not met within ${limitMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The maintenance events (those maintenance or reportLeak emit) in `events`, as `type:keyId`. */
export const maintenanceEvents = (events: readonly KeywardEvent[]) =>
  events
    .filter((e) => e.type === 'key.expiring_soon' || e.type === 'key.leaked' || e.type === 'key.credits_low' || e.type === 'key.unused')
    .map((e) => `${e.type}:${'keyId' in e ? e.keyId : ''}`)
