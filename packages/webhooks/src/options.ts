import { Webhook } from 'standardwebhooks'

/** Options of {@link standardWebhooks}. */
export interface StandardWebhooksOptions {
  /** The receiver's endpoint, `http:` or `https:`. */
  url: string | URL
  /**
   * The signing secret shared with the receiver, in the Standard Webhooks form: `whsec_` then the
   * base64 of 24 to 64 random bytes.
   * @example `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`
   */
  secret: string
  /**
   * How long one attempt may take, response body included, in milliseconds.
   * @default 10_000
   */
  timeoutMs?: number
  /**
   * The `fetch` to send with (a proxying or instrumented one, say).
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch
  /**
   * Extra request headers, such as an `authorization` the receiver's gateway wants. The headers the
   * specification defines (`webhook-id`, `webhook-timestamp`, `webhook-signature`) and
   * `content-type` are the sender's own and cannot be set here; `user-agent` can (default `keyward-webhooks`).
   */
  headers?: Record<string, string>
}

/** The checked options, ready to send with. */
export interface SenderConfig {
  url: string
  webhook: Webhook
  secret: string
  timeoutMs: number
  fetch: typeof globalThis.fetch
  headers: Record<string, string>
}

const RESERVED_HEADERS = new Set(['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature'])
const SECRET_FORM = /^whsec_((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/
const SECRET_BYTES = { min: 24, max: 64 }

/** Checks the options (a TypeError naming what is wrong, never echoing the secret). */
export function senderConfig(options: StandardWebhooksOptions): SenderConfig {
  const { secret, timeoutMs = 10_000 } = options
  return {
    url: checkUrl(options.url),
    webhook: signer(secret),
    secret,
    timeoutMs: checkTimeout(timeoutMs),
    fetch: options.fetch ?? globalThis.fetch,
    headers: checkHeaders(options.headers ?? {}),
  }
}

function checkUrl(input: string | URL): string {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    throw new TypeError('standardWebhooks: `url` is not a valid URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(`standardWebhooks: \`url\` must be http: or https:, not ${url.protocol}`)
  return url.href
}

function signer(secret: string): Webhook {
  // A caller without types may pass anything here.
  const base64 = typeof secret === 'string' ? SECRET_FORM.exec(secret)?.[1] : undefined
  if (base64 === undefined)
    throw new TypeError(
      'standardWebhooks: `secret` must be a Standard Webhooks secret: "whsec_" followed by base64 (the secret is not shown)',
    )
  const bytes = atob(base64).length
  if (bytes < SECRET_BYTES.min || bytes > SECRET_BYTES.max)
    throw new TypeError(`standardWebhooks: \`secret\` must encode ${SECRET_BYTES.min} to ${SECRET_BYTES.max} bytes, not ${bytes}`)
  return new Webhook(secret)
}

function checkTimeout(timeoutMs: unknown): number {
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs <= 0)
    throw new TypeError('standardWebhooks: `timeoutMs` must be a positive integer (milliseconds)')
  return timeoutMs
}

function checkHeaders(headers: Record<string, string>): Record<string, string> {
  const lowered = Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value] as const)
  const reserved = lowered.filter(([name]) => RESERVED_HEADERS.has(name)).map(([name]) => name)
  if (reserved.length > 0) throw new TypeError(`standardWebhooks: \`headers\` cannot set ${reserved.join(', ')} (the sender sets it)`)
  return { 'user-agent': 'keyward-webhooks', ...Object.fromEntries(lowered) }
}
