/**
 * Where the key comes from in a request: `Authorization: Bearer <key>` or a bare key in another
 * configured header, read from Node's raw header pairs, with RFC 6750's rules for what is a
 * conflict (two keys) and what is malformed as a request (a 400, not a key failure).
 */

/** RFC 6750 §2.1 `b64token` (token68): what a Bearer credential may consist of. */
const TOKEN68_RE = /^[A-Za-z0-9\-._~+/]+=*$/
/** A key in any other header: one run of visible ASCII (no spaces, control or non-ASCII characters). */
const VISIBLE_RE = /^[\x21-\x7e]+$/

/**
 * What the request's headers hold: nothing, one key, conflicting keys, or a credential that is
 * malformed as a request (`header` names the configured header it came in).
 */
export type Credential = { kind: 'none' } | { kind: 'key'; key: string } | { kind: 'conflict' } | { kind: 'malformed'; header: string }

const NONE: Credential = Object.freeze({ kind: 'none' })
const CONFLICT: Credential = Object.freeze({ kind: 'conflict' })

/** `value` without leading and trailing SP / HTAB (HTTP's optional whitespace), and nothing else. */
function trimOws(value: string): string {
  let start = 0
  let end = value.length
  while (start < end && (value.charCodeAt(start) === 32 || value.charCodeAt(start) === 9)) start++
  while (end > start && (value.charCodeAt(end - 1) === 32 || value.charCodeAt(end - 1) === 9)) end--
  return start === 0 && end === value.length ? value : value.slice(start, end)
}

/** Whether `value` starts with the scheme `Bearer` (any casing), followed by SP, HTAB or nothing. */
function isBearerScheme(value: string): boolean {
  if (value.length < 6) return false
  for (let i = 0; i < 6; i++) if ((value.charCodeAt(i) | 0x20) !== BEARER_CODES[i]) return false
  const next = value.charCodeAt(6)
  return value.length === 6 || next === 32 || next === 9
}
const BEARER_CODES = [...'bearer'].map((c) => c.charCodeAt(0))

/**
 * Find the key in Node's `rawHeaders` (name/value pairs as received, so a repeated `Authorization`
 * that Node would fold away is still seen). An `Authorization` header with another scheme is not
 * ours and is ignored. Two different keys are a conflict (RFC 6750 §2: one method per request).
 * A credential that cannot be a token is malformed (RFC 6750 §3.1 `invalid_request`): an empty
 * `Bearer`, or a Bearer credential with anything outside token68 (`[A-Za-z0-9-._~+/]+=*`) inside
 * it; in any other header, an empty value or one with whitespace, control or non-ASCII characters.
 * The first conflict or malformed credential decides.
 */
export function extractCredential(rawHeaders: readonly string[], headers: readonly string[]): Credential {
  let found: string | undefined
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const raw = rawHeaders[i]!
    // Hot path: compare lengths before lowercasing, so unrelated headers cost no allocation.
    let name: string | undefined
    for (const candidate of headers)
      if (candidate.length === raw.length && (candidate === raw || candidate === raw.toLowerCase())) {
        name = candidate
        break
      }
    if (name === undefined) continue
    let key = trimOws(rawHeaders[i + 1]!)
    if (name === 'authorization') {
      // `Bearer` then 1*(SP / HTAB) then the token; another scheme (or `Bearerxyz`) is not ours.
      if (!isBearerScheme(key)) continue
      key = trimOws(key.slice(6))
      if (!TOKEN68_RE.test(key)) return { kind: 'malformed', header: name }
    } else if (!VISIBLE_RE.test(key)) return { kind: 'malformed', header: name }
    if (found === undefined) found = key
    else if (found !== key) return CONFLICT
  }
  return found === undefined ? NONE : { kind: 'key', key: found }
}
