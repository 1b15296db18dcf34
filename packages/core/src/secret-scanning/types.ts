import type { ApiKeyInfo } from '../types.js'

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
   * What to do with a real key found in public. Whatever it is, the find is reported first
   * (`keyward.reportLeak` with GitHub's public URL): `key.leaked` in the audit log, and the
   * notification once per key. The audit log names the actor `github-secret-scanning`.
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
