/**
 * A receiver for GitHub's secret-scanning partner program: GitHub POSTs the tokens it found in
 * public code; we check GitHub's ECDSA signature, look each token up, revoke (or disable) the real
 * ones, tell the host through `onLeak`, and answer with a label per token. Framework-agnostic (Web
 * Crypto only); the Express adapter mounts it as a route.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import type { Keyward } from './api.js'
import type { ApiKeyInfo } from './types.js'

/** One public key GitHub signs with (`GET https://api.github.com/meta/public_keys/secret_scanning`). */
export interface SecretScanningPublicKey {
  key_identifier: string
  /** PEM `-----BEGIN PUBLIC KEY-----` (P-256 SPKI). */
  key: string
}

/** A reported match. */
export interface SecretScanningMatch {
  token: string
  type: string
  url?: string
  source?: string
}

/** What `onLeak` hears about a real key found in public. Never the key itself. */
export interface LeakReport {
  key: ApiKeyInfo
  action: 'revoked' | 'disabled' | 'none'
  url?: string
  source?: string
  type: string
}

/** Options of {@link secretScanningHandler}. */
export interface SecretScanningOptions {
  /**
   * GitHub's current public keys. Called on first use and again when a request names an unknown
   * key identifier (at most once a minute). Inject it in tests.
   * @default fetch('https://api.github.com/meta/public_keys/secret_scanning')
   */
  fetchPublicKeys?: () => Promise<SecretScanningPublicKey[]>
  /**
   * What to do with a real key found in public.
   * @default 'revoke'
   */
  action?: 'revoke' | 'disable' | 'none'
  /** Called for every real key found (after the action). Errors are ignored. */
  onLeak?: (report: LeakReport) => void | Promise<void>
  /**
   * How long fetched public keys are trusted.
   * @default 3_600_000
   */
  cacheMs?: number
  /** Clock in epoch milliseconds, for tests. @default Date.now */
  now?: () => number
}

/** A request as the handler needs it: the raw body bytes (as text) and two headers. */
export interface SecretScanningRequest {
  body: string
  keyIdentifier: string | undefined
  signature: string | undefined
}

/** The response to send: JSON. */
export interface SecretScanningResponse {
  status: number
  /** Labels name each token by its SHA-256 (`token_hash`), so no key is echoed back. */
  body: Array<{ token_hash: string; token_type: string; label: 'true_positive' | 'false_positive' }> | { error: string }
}

const GITHUB_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning'
const MAX_MATCHES = 1000
const REFETCH_MIN_MS = 60_000

async function fetchGitHubKeys(): Promise<SecretScanningPublicKey[]> {
  const response = await fetch(GITHUB_KEYS_URL, { headers: { accept: 'application/json' } })
  if (!response.ok) throw new Error(`GitHub public keys: HTTP ${response.status}`)
  return ((await response.json()) as { public_keys: SecretScanningPublicKey[] }).public_keys
}

function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/\s+/g, ''))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

/** ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }` → the 64-byte r‖s Web Crypto expects, or null. */
export function derToRawSignature(der: Uint8Array): Uint8Array<ArrayBuffer> | null {
  let offset = 0
  const readLength = (): number | null => {
    let length = der[offset++]
    if (length === undefined) return null
    if (length & 0x80) {
      const bytes = length & 0x7f
      if (bytes < 1 || bytes > 2) return null
      length = 0
      for (let i = 0; i < bytes; i++) length = (length << 8) | (der[offset++] ?? 0)
    }
    return length
  }
  if (der[offset++] !== 0x30) return null
  const total = readLength()
  if (total === null || offset + total !== der.length) return null
  const raw = new Uint8Array(64)
  for (const part of [0, 1]) {
    if (der[offset++] !== 0x02) return null
    const length = readLength()
    if (length === null || length < 1 || length > 33 || offset + length > der.length) return null
    let value = der.subarray(offset, offset + length)
    offset += length
    while (value.length > 32 && value[0] === 0) value = value.subarray(1)
    if (value.length > 32) return null
    raw.set(value, part * 32 + (32 - value.length))
  }
  return offset === der.length ? raw : null
}

async function importPublicKey(pem: string): Promise<CryptoKey> {
  const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '')
  return crypto.subtle.importKey('spki', base64Bytes(body), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
}

function isMatchList(value: unknown): value is SecretScanningMatch[] {
  return (
    Array.isArray(value) &&
    value.length <= MAX_MATCHES &&
    value.every((m) => m !== null && typeof m === 'object' && typeof m.token === 'string' && typeof m.type === 'string')
  )
}

/**
 * Build a handler for GitHub secret-scanning reports.
 *
 * Labels name tokens by SHA-256, as GitHub's protocol asks. Configure a pepper: without one, the
 * SHA-256 of a key is also its stored digest, and the response would carry it.
 *
 * @example
 * const handle = secretScanningHandler(keyward, { onLeak: (r) => notifyOwner(r.key.ownerId, r.url) })
 * // in any framework, with the raw body:
 * const { status, body } = await handle({
 *   body: rawBody,
 *   keyIdentifier: req.headers['github-public-key-identifier'],
 *   signature: req.headers['github-public-key-signature'],
 * })
 */
export function secretScanningHandler(
  keyward: Keyward,
  options: SecretScanningOptions = {},
): (request: SecretScanningRequest) => Promise<SecretScanningResponse> {
  const fetchKeys = options.fetchPublicKeys ?? fetchGitHubKeys
  const action = options.action ?? 'revoke'
  if (!['revoke', 'disable', 'none'].includes(action)) throw new TypeError('action must be "revoke", "disable" or "none"')
  const cacheMs = options.cacheMs ?? 3_600_000
  const now = options.now ?? Date.now
  let keys = new Map<string, Promise<CryptoKey>>()
  let fetchedAt = Number.NEGATIVE_INFINITY

  async function publicKey(identifier: string): Promise<CryptoKey | undefined> {
    const stale = now() - fetchedAt > cacheMs
    if (stale || (!keys.has(identifier) && now() - fetchedAt > REFETCH_MIN_MS)) {
      const list = await fetchKeys()
      keys = new Map(list.map((k) => [k.key_identifier, importPublicKey(k.key)]))
      fetchedAt = now()
    }
    return keys.get(identifier)
  }

  async function signatureValid(request: SecretScanningRequest): Promise<boolean> {
    if (!request.keyIdentifier || !request.signature) return false
    try {
      const key = await publicKey(request.keyIdentifier)
      const raw = key && derToRawSignature(base64Bytes(request.signature))
      if (!key || !raw) return false
      const data = new TextEncoder().encode(request.body)
      return await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, await key, raw, data)
    } catch {
      return false
    }
  }

  return async (request) => {
    if (!(await signatureValid(request))) return { status: 401, body: { error: 'invalid signature' } }
    let matches: unknown
    try {
      matches = JSON.parse(request.body)
    } catch {
      return { status: 400, body: { error: 'body must be a JSON array of matches' } }
    }
    if (!isMatchList(matches)) return { status: 400, body: { error: `body must be a JSON array of at most ${MAX_MATCHES} matches` } }
    try {
      return { status: 200, body: await handleMatches(matches) }
    } catch {
      return { status: 503, body: { error: 'key store unavailable, retry later' } }
    }
  }

  async function handleMatches(matches: SecretScanningMatch[]): Promise<Extract<SecretScanningResponse['body'], unknown[]>> {
    const labels: Extract<SecretScanningResponse['body'], unknown[]> = []
    for (const match of matches) {
      const info = keyward.looksLikeKey(match.token) ? await keyward.identify(match.token) : null
      labels.push({
        token_hash: bytesToHex(sha256(utf8ToBytes(match.token))),
        token_type: match.type,
        label: info ? 'true_positive' : 'false_positive',
      })
      if (!info) continue
      let done: LeakReport['action'] = 'none'
      if (action === 'revoke' && info.status !== 'revoked') done = (await keyward.revoke(info.id), 'revoked')
      else if (action === 'disable' && info.status !== 'revoked' && info.status !== 'disabled')
        done = (await keyward.disable(info.id), 'disabled')
      try {
        await options.onLeak?.({
          key: info,
          action: done,
          type: match.type,
          ...(match.url !== undefined && { url: match.url }),
          ...(match.source !== undefined && { source: match.source }),
        })
      } catch {
        // The leak is handled; a failing notification must not make GitHub retry the report.
      }
    }
    return labels
  }
}
