import type { NotificationSender, OutgoingNotification } from '@keyward/core'
import { type SenderConfig, type StandardWebhooksOptions, senderConfig } from './options.js'

/** How much of a refusing receiver's body an error quotes. */
const QUOTED_CHARS = 200

/**
 * A {@link NotificationSender} that POSTs each notification to one endpoint, signed per the
 * [Standard Webhooks](https://www.standardwebhooks.com) specification with its reference
 * implementation (`standardwebhooks`). The body is `{ type, timestamp, data }` (JSON, `timestamp`
 * in ISO 8601); `webhook-id` is the notification's id, the same on every retry, so the receiver can
 * deduplicate; `webhook-timestamp` is the time of the attempt, so each retry is signed afresh.
 *
 * `send` resolves when the receiver answers 2xx. Any other status (redirects are not followed: a
 * 3xx is a failure too), a network error or no answer within `timeoutMs` rejects with an Error
 * saying why (quoting at most 200 characters of the answer, never the secret); Keyward retries.
 *
 * Bad options throw a TypeError here, at construction.
 *
 * @example
 * const keyward = createKeyward({
 *   prefix: 'acme_live',
 *   store,
 *   webhooks: standardWebhooks({ url: 'https://hooks.example.com/keyward', secret: process.env.WEBHOOK_SECRET! }),
 * })
 */
export function standardWebhooks(options: StandardWebhooksOptions): NotificationSender {
  const config = senderConfig(options)
  return { send: (notification) => deliver(config, notification) }
}

async function deliver(config: SenderConfig, { id, type, timestamp, payload }: OutgoingNotification): Promise<void> {
  const body = JSON.stringify({ type, timestamp: timestamp.toISOString(), data: payload })
  const now = new Date()
  const headers = {
    ...config.headers,
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': config.webhook.sign(id, now, body),
  }
  const signal = AbortSignal.timeout(config.timeoutMs)
  let response: Response
  try {
    response = await config.fetch(config.url, { method: 'POST', headers, body, redirect: 'manual', signal })
  } catch (error) {
    throw signal.aborted ? timedOut(config) : new Error(`webhook delivery failed: ${redact(networkReason(error), config.secret)}`)
  }
  if (response.status >= 200 && response.status < 300) {
    await response.body?.cancel().catch(() => {})
    return
  }
  let quoted = ''
  try {
    // Read past the quoted length by a secret's, so a secret starting inside it is whole when redacted.
    quoted = redact(await opening(response, QUOTED_CHARS + config.secret.length), config.secret).slice(0, QUOTED_CHARS)
  } catch {
    // The status says enough when the body breaks off; running out of time still fails as such.
    if (signal.aborted) throw timedOut(config)
  }
  const redirect = response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)
  throw new Error(
    `webhook receiver answered ${response.status || response.type}${redirect ? ' (redirects are not followed)' : ''}${quoted ? `: ${quoted}` : ''}`,
  )
}

const timedOut = (config: SenderConfig) => new Error(`webhook receiver did not answer within ${config.timeoutMs} ms`)

/** The first `chars` characters of the body (or a little more), whitespace collapsed; the rest is not read. */
async function opening(response: Response, chars: number): Promise<string> {
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  while (text.length < chars) {
    const { done, value } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
  }
  await reader.cancel()
  return text.replace(/\s+/g, ' ').trim()
}

/** What failed underneath fetch's generic `fetch failed` (`connect ECONNREFUSED 127.0.0.1:1`, say). */
function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? error.cause.message : undefined
  return cause ? `${error.message} (${cause})` : error.message
}

/** The text without the secret, in its `whsec_` form or its bare base64. */
function redact(text: string, secret: string): string {
  return text.replaceAll(secret, '[secret]').replaceAll(secret.slice('whsec_'.length), '[secret]')
}
