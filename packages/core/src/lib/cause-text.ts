const URL_CREDENTIALS_RE = /\b([a-z][a-z0-9+.-]*:\/\/)([^:/@\s]*):([^@\s]*)@/gi
const PASSWORD_PARAM_RE = /\b(password|passwd|pwd|secret|token)=([^&\s;]+)/gi
const HEX_DIGEST_RE = /\b[0-9a-fA-F]{64}\b/g
/** A run of 24+ base62 characters can be a secret; nothing a driver says about a connection needs one. */
const LONG_TOKEN_RE = /[0-9A-Za-z_]{24,}/g
const MAX_LENGTH = 300

/**
 * What went wrong with a store, fit for a log line or an error message: the error's message (and
 * its code, like `ECONNREFUSED`), with a connection string's password, password-like parameters,
 * 64-hex digests and long token-like runs replaced, bounded in length. Never the error's stack.
 */
export function causeText(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : ''
  const text = (message || (typeof code === 'string' ? code : 'unknown error'))
    .replace(URL_CREDENTIALS_RE, '$1$2:***@')
    .replace(PASSWORD_PARAM_RE, '$1=***')
    .replace(HEX_DIGEST_RE, '<digest>')
    .replace(LONG_TOKEN_RE, (run) => `${run.slice(0, 4)}…`)
    .replace(/\s+/g, ' ')
    .trim()
  const withCode = typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text
  return withCode.length > MAX_LENGTH ? `${withCode.slice(0, MAX_LENGTH)}…` : withCode
}
