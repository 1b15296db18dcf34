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
   * GitHub's current public keys. Called on first use, when the list is older than `cacheMs`, and
   * when a request names an unknown key identifier; never more than once per `refreshIntervalMs`,
   * never twice at the same time, and given up after `fetchTimeoutMs` (the `signal` aborts then).
   * Inject it in tests.
   * @default fetch('https://api.github.com/meta/public_keys/secret_scanning', { signal })
   */
  fetchPublicKeys?: (options: { signal: AbortSignal }) => Promise<SecretScanningPublicKey[]>
  /**
   * What to do with a real key found in public.
   * @default 'revoke'
   */
  action?: 'revoke' | 'disable' | 'none'
  /** Called for every real key found (after the action), once per match within `dedupe.windowMs`. Errors are ignored. */
  onLeak?: (report: LeakReport) => void | Promise<void>
  /**
   * How long a fetched list of public keys is fresh. After that a refresh is tried; until one
   * succeeds, the last good list keeps verifying reports, so an outage of GitHub's API never turns
   * a genuine report away.
   * @default 3_600_000
   */
  cacheMs?: number
  /**
   * Fewest milliseconds between two fetches of the public keys, however many requests name an
   * unknown key identifier. After a failed fetch the wait doubles each time, up to 16 times this.
   * @default 60_000
   */
  refreshIntervalMs?: number
  /**
   * A fetch of the public keys that takes longer is abandoned (and counts as failed).
   * @default 10_000
   */
  fetchTimeoutMs?: number
  /**
   * A match already handled (same token, type, url and source) within `windowMs` is labelled again
   * but neither acted on nor reported to `onLeak` a second time, so a replayed report changes
   * nothing. At most `max` matches are remembered (the oldest are forgotten first). `false` turns it off.
   * @default { windowMs: 86_400_000, max: 10_000 }
   */
  dedupe?: false | { windowMs?: number; max?: number }
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
/** Key identifiers GitHub uses are 64 hex characters; anything much longer is not one. */
const MAX_KEY_IDENTIFIER = 256
const MAX_PUBLIC_KEYS = 100
/** After failed fetches the wait doubles up to 16 × the refresh interval (16 minutes by default). */
const MAX_BACKOFF_DOUBLINGS = 4
const OPTION_NAMES = new Set(['fetchPublicKeys', 'action', 'onLeak', 'cacheMs', 'refreshIntervalMs', 'fetchTimeoutMs', 'dedupe', 'now'])

async function fetchGitHubKeys({ signal }: { signal: AbortSignal }): Promise<SecretScanningPublicKey[]> {
  const response = await fetch(GITHUB_KEYS_URL, { headers: { accept: 'application/json' }, signal })
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

/**
 * The usable keys of a fetched list, each imported on its own: one that is not a P-256 public key
 * (RSA, another curve, garbage) is skipped and cannot spoil the others. Throws when none is usable,
 * so the caller keeps the list it had.
 */
async function importPublicKeys(list: unknown): Promise<Map<string, CryptoKey>> {
  if (!Array.isArray(list)) throw new TypeError('GitHub public keys: expected a list')
  const keys = new Map<string, CryptoKey>()
  await Promise.all(
    list.slice(0, MAX_PUBLIC_KEYS).map(async (entry: Partial<SecretScanningPublicKey> | null) => {
      if (typeof entry?.key_identifier !== 'string' || typeof entry.key !== 'string') return
      try {
        keys.set(entry.key_identifier, await importPublicKey(entry.key))
      } catch {
        // Not a P-256 key: skipped.
      }
    }),
  )
  if (keys.size === 0) throw new Error('GitHub public keys: none is a usable P-256 key')
  return keys
}

/** `run(signal)`, rejected after `ms` even when `run` ignores its signal. */
function withTimeout<T>(run: (options: { signal: AbortSignal }) => Promise<T>, ms: number): Promise<T> {
  const signal = AbortSignal.timeout(ms)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error(`GitHub public keys: no answer within ${ms} ms`))
    signal.addEventListener('abort', onAbort, { once: true })
    Promise.resolve()
      .then(() => run({ signal }))
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/**
 * GitHub's public keys, fetched lazily and kept: the last good list stays in use while refreshes
 * fail; fetches are single-flight, at most one per `intervalMs`, backing off exponentially after
 * failures (so made-up key identifiers cannot turn into a flood of fetches).
 */
function publicKeyCache(
  fetchKeys: NonNullable<SecretScanningOptions['fetchPublicKeys']>,
  cacheMs: number,
  intervalMs: number,
  timeoutMs: number,
  now: () => number,
): (identifier: string) => Promise<CryptoKey | undefined> {
  let keys = new Map<string, CryptoKey>()
  let fetchedAt = Number.NEGATIVE_INFINITY
  let nextFetchAt = Number.NEGATIVE_INFINITY
  let failures = 0
  let inflight: Promise<void> | undefined

  function refresh(): Promise<void> {
    inflight ??= (async () => {
      try {
        keys = await importPublicKeys(await withTimeout(fetchKeys, timeoutMs))
        fetchedAt = now()
        failures = 0
        nextFetchAt = fetchedAt + intervalMs
      } catch {
        failures++
        nextFetchAt = now() + intervalMs * 2 ** Math.min(failures - 1, MAX_BACKOFF_DOUBLINGS)
      } finally {
        inflight = undefined
      }
    })()
    return inflight
  }

  return async (identifier: string): Promise<CryptoKey | undefined> => {
    if (!keys.has(identifier) || now() - fetchedAt > cacheMs) {
      if (inflight !== undefined) await inflight
      else if (now() >= nextFetchAt) await refresh()
    }
    return keys.get(identifier)
  }
}

/** Remembers handled matches for a window, in bounded memory (oldest first out). */
function matchMemory(dedupe: SecretScanningOptions['dedupe'], now: () => number) {
  if (dedupe === false) return { claim: () => true, release: () => {} }
  if (dedupe !== undefined && (dedupe === null || typeof dedupe !== 'object'))
    throw new TypeError('dedupe must be false or { windowMs?, max? }')
  const windowMs = positiveInteger('dedupe.windowMs', dedupe?.windowMs ?? 86_400_000)
  const max = positiveInteger('dedupe.max', dedupe?.max ?? 10_000)
  const seen = new Map<string, number>()
  return {
    /** True the first time `digest` is seen within the window (and remembers it). */
    claim(digest: string): boolean {
      const at = now()
      const before = seen.get(digest)
      if (before !== undefined && at - before < windowMs) return false
      seen.delete(digest)
      seen.set(digest, at)
      for (const [oldest, when] of seen) {
        if (seen.size <= max && at - when < windowMs) break
        seen.delete(oldest)
      }
      return true
    },
    release(digest: string): void {
      seen.delete(digest)
    },
  }
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`${name} must be a positive integer, got ${String(value)}`)
  return value
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
  if (options === null || typeof options !== 'object') throw new TypeError('secretScanningHandler options must be an object')
  for (const name of Object.keys(options))
    if (!OPTION_NAMES.has(name)) throw new TypeError(`unknown option "${name}": expected one of ${[...OPTION_NAMES].join(', ')}`)
  const fetchKeys = options.fetchPublicKeys ?? fetchGitHubKeys
  if (typeof fetchKeys !== 'function') throw new TypeError('fetchPublicKeys must be a function')
  const action = options.action ?? 'revoke'
  if (!['revoke', 'disable', 'none'].includes(action)) throw new TypeError('action must be "revoke", "disable" or "none"')
  const now = options.now ?? Date.now
  const publicKey = publicKeyCache(
    fetchKeys,
    positiveInteger('cacheMs', options.cacheMs ?? 3_600_000),
    positiveInteger('refreshIntervalMs', options.refreshIntervalMs ?? 60_000),
    positiveInteger('fetchTimeoutMs', options.fetchTimeoutMs ?? 10_000),
    now,
  )
  const handled = matchMemory(options.dedupe, now)

  async function signatureValid(request: SecretScanningRequest): Promise<boolean> {
    const { keyIdentifier, signature } = request
    if (typeof keyIdentifier !== 'string' || keyIdentifier === '' || keyIdentifier.length > MAX_KEY_IDENTIFIER) return false
    if (typeof signature !== 'string' || signature === '') return false
    try {
      // The signature must parse before the key list is consulted: garbage costs no fetch.
      const raw = derToRawSignature(base64Bytes(signature))
      if (!raw) return false
      const key = await publicKey(keyIdentifier)
      if (!key) return false
      return await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, raw, new TextEncoder().encode(request.body))
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
      const digest = bytesToHex(sha256(utf8ToBytes(JSON.stringify([match.token, match.type, match.url ?? null, match.source ?? null]))))
      if (!handled.claim(digest)) continue
      let done: LeakReport['action'] = 'none'
      try {
        if (action === 'revoke' && info.status !== 'revoked') {
          await keyward.revoke(info.id)
          done = 'revoked'
        } else if (action === 'disable' && info.status !== 'revoked' && info.status !== 'disabled') {
          await keyward.disable(info.id)
          done = 'disabled'
        }
      } catch (error) {
        // Not handled after all: GitHub's retry must get through.
        handled.release(digest)
        throw error
      }
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
