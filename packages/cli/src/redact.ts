import type { KeyFormat } from '@keyward/core'

/**
 * Anything shaped like a key of any deployment, even with a wrong checksum or glued to other word
 * characters: an optional lowercase prefix, an id, `_`, and a long base62 tail.
 */
const KEY_SHAPED = /([a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*_)?([0-9A-Za-z]{8,32})_([0-9A-Za-z]{20,})/g
/** The user-info part of a URL (`scheme://user:password@`), up to the last `@` of the token. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s]*@/gi

/** A key-shaped string's display form: prefix, first 4 of the id, `…`, last 4. */
function redactShape(_match: string, prefix: string | undefined, id: string, tail: string): string {
  return `${prefix ?? ''}${id.slice(0, 4)}…${tail.slice(-4)}`
}

/** `text` with everything shaped like a key (of any deployment) in display form. */
function redactKeyShapes(text: string): string {
  return text.replace(KEY_SHAPED, redactShape)
}

/** When `text` holds something shaped like a whole key (of any deployment): its display form and id. */
export function keyShape(text: string): { redacted: string; id: string } | null {
  const match = new RegExp(KEY_SHAPED.source).exec(text)
  return match ? { redacted: redactKeyShapes(match[0]), id: match[2]! } : null
}

/**
 * A sanitizer for everything the CLI prints apart from a key shown once: known secrets (peppers, the
 * store URL's password) become `…`, keys of `format`'s deployment and anything key-shaped take their
 * display form, and a URL's user info is hidden.
 */
export function sanitizer(format: Pick<KeyFormat, 'redact'> | null, secrets: readonly string[] = []): (text: string) => string {
  const known = secrets.filter((secret) => secret.length >= 6).sort((a, b) => b.length - a.length)
  return (text) => {
    let clean = text
    for (const secret of known) clean = clean.split(secret).join('…')
    if (format) clean = format.redact(clean)
    return redactKeyShapes(clean).replace(URL_USERINFO, '$1…@')
  }
}

/** The password of a store URL (as written and decoded), to keep out of every message. Parsed by hand too, in case `URL` misreads it. */
export function urlSecrets(url: string | undefined): string[] {
  if (!url) return []
  const found = new Set<string>()
  const byHand = /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:(.*)@[^@]*$/i.exec(url)?.[1]
  if (byHand) found.add(byHand)
  try {
    const { password } = new URL(url)
    if (password) found.add(password)
  } catch {
    // not a URL: the hand-parsed password is all there is
  }
  for (const secret of [...found])
    try {
      found.add(decodeURIComponent(secret))
    } catch {
      // not percent-encoded
    }
  return [...found]
}

/** Just the scheme of a URL (`"mysql:"`), which is all an error may show of a URL that might hold a password. */
export function urlScheme(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]
  return scheme ? `${JSON.stringify(`${scheme}:`)}` : 'none'
}
