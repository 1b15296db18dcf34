import type { SecretScanningOptions, SecretScanningPublicKey } from './types.js'

const GITHUB_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning'
const MAX_PUBLIC_KEYS = 100
/** After failed fetches the wait doubles up to 16 × the refresh interval (16 minutes by default). */
const MAX_BACKOFF_DOUBLINGS = 4

export async function fetchGitHubKeys({ signal }: { signal: AbortSignal }): Promise<SecretScanningPublicKey[]> {
  const response = await fetch(GITHUB_KEYS_URL, { headers: { accept: 'application/json' }, signal })
  if (!response.ok) throw new Error(`GitHub public keys: HTTP ${response.status}`)
  return ((await response.json()) as { public_keys: SecretScanningPublicKey[] }).public_keys
}

export function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
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
export function publicKeyCache(
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
