/**
 * A receiver for GitHub's secret-scanning partner program: GitHub POSTs the tokens it found in
 * public code; we check GitHub's ECDSA signature, look each token up, revoke (or disable) the real
 * ones, tell the host through `onLeak`, and answer with a label per token. Framework-agnostic (Web
 * Crypto only); the Express adapter mounts it as a route.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import type { Keyward } from './api.js'
import { matchMemory, positiveInteger } from './secret-scanning/match-memory.js'
import { base64Bytes, derToRawSignature, fetchGitHubKeys, publicKeyCache } from './secret-scanning/public-keys.js'
import type {
  LeakReport,
  SecretScanningMatch,
  SecretScanningOptions,
  SecretScanningRequest,
  SecretScanningResponse,
} from './secret-scanning/types.js'

export { derToRawSignature } from './secret-scanning/public-keys.js'
export type {
  LeakReport,
  SecretScanningMatch,
  SecretScanningOptions,
  SecretScanningPublicKey,
  SecretScanningRequest,
  SecretScanningResponse,
} from './secret-scanning/types.js'

const MAX_MATCHES = 1000
/** Key identifiers GitHub uses are 64 hex characters; anything much longer is not one. */
const MAX_KEY_IDENTIFIER = 256
const OPTION_NAMES = new Set(['fetchPublicKeys', 'action', 'onLeak', 'cacheMs', 'refreshIntervalMs', 'fetchTimeoutMs', 'dedupe', 'now'])

/** Who the audit log names for what the handler does. */
const ACTOR = { id: 'github-secret-scanning' }

/**
 * `key.leaked` in the audit log (and the notification, once per key) with the public URL GitHub
 * gave; a URL Keyward refuses (not http(s), too long) is left out rather than losing the report.
 */
async function reportLeak(keyward: Keyward, id: string, url: string | undefined): Promise<void> {
  try {
    await keyward.reportLeak(id, url ? { url } : {}, { actor: ACTOR })
  } catch (error) {
    // By code and field, not class: the bundled entry points need not share one InvalidInputError.
    const refused = error as { code?: unknown; field?: unknown } | null
    if (!url || refused?.code !== 'invalid_input' || refused.field !== 'url') throw error
    await keyward.reportLeak(id, {}, { actor: ACTOR })
  }
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
        await reportLeak(keyward, info.id, match.url)
        if (action === 'revoke' && info.status !== 'revoked') {
          await keyward.revoke(info.id, { actor: ACTOR })
          done = 'revoked'
        } else if (action === 'disable' && info.status !== 'revoked' && info.status !== 'disabled') {
          await keyward.disable(info.id, { actor: ACTOR })
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
