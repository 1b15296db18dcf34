/**
 * Credential headers of a Web `Request`, as the name/value pairs `extractCredential` reads. A Web
 * `Headers` object joins a repeated header into one value with `", "`: split it again where that is
 * unambiguous, so two different keys still make a conflict (400) as they do on Node, where
 * `rawHeaders` keeps repeats apart. A key never holds `", "`; an `Authorization` value is split only
 * before another `Bearer` credential, so a single value with a comma inside stays one (malformed) credential.
 */

/** Whether `value` at `at` starts with the scheme `Bearer` (any casing), followed by SP, HTAB or its end. */
function bearerAt(value: string, at: number): boolean {
  if (value.length - at < 6 || value.slice(at, at + 6).toLowerCase() !== 'bearer') return false
  const next = value.charCodeAt(at + 6)
  return value.length === at + 6 || next === 32 || next === 9
}

function pushSplit(out: string[], name: string, value: string): void {
  let start = 0
  for (let comma = value.indexOf(', '); comma >= 0; comma = value.indexOf(', ', comma + 2)) {
    if (name === 'authorization' && !bearerAt(value, comma + 2)) continue
    out.push(name, value.slice(start, comma))
    start = comma + 2
  }
  out.push(name, start === 0 ? value : value.slice(start))
}

/**
 * The configured credential headers of `headers` (lowercase `names`) as alternating name/value
 * pairs, repeated headers split apart again.
 * @example
 * const credential = extractCredential(credentialHeaders(request.headers, config.headers), config.headers)
 */
export function credentialHeaders(headers: Headers, names: readonly string[]): string[] {
  const out: string[] = []
  for (const name of names) {
    const value = headers.get(name)
    if (value === null) continue
    if (value.includes(', ')) pushSplit(out, name, value)
    else out.push(name, value)
  }
  return out
}
