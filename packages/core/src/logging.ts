import type { KeywardEvent } from './events.js'

/** One log line: a short message and flat fields. Never carries a key, secret, digest or pepper. */
export interface LogEntry {
  level: 'debug' | 'warn'
  message: string
  fields: Record<string, string | number | boolean>
}

/** Receives Keyward's log lines. Wire it to your logger (pino, winston, console…). */
export type KeywardLogger = (entry: LogEntry) => void

let defaultLogger: KeywardLogger | undefined

/**
 * Set the logger used by every Keyward instance created afterwards without its own `logger`
 * (`null` to remove it). Handy to turn on debug output in one place.
 *
 * @example
 * setDefaultLogger(({ level, message, fields }) => pino[level](fields, message))
 */
export function setDefaultLogger(logger: KeywardLogger | null): void {
  if (logger !== null && typeof logger !== 'function') throw new TypeError('logger must be a function or null')
  defaultLogger = logger ?? undefined
}

export function currentDefaultLogger(): KeywardLogger | undefined {
  return defaultLogger
}

const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029"\\]/g

/**
 * A value safe to put in a log line: control characters (CR and LF above all, so a header value
 * cannot forge a line), quotes and backslashes escaped, and the length bounded.
 */
export function escapeLogValue(value: string, max = 200): string {
  const clipped = value.length > max ? `${value.slice(0, max)}…` : value
  return clipped.replace(CONTROL_RE, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '"' ? '\\"' : c === '\\' ? '\\\\' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** The log line for an audit event. */
export function eventLogEntry(event: KeywardEvent): LogEntry {
  const fields: LogEntry['fields'] = {}
  if (event.keyId !== undefined) fields.keyId = escapeLogValue(event.keyId)
  if (event.ownerId != null) fields.ownerId = escapeLogValue(event.ownerId)
  if (event.code !== undefined) fields.code = event.code
  if (event.successorId !== undefined) fields.successorId = event.successorId
  if (event.operation !== undefined) fields.operation = event.operation
  if (event.source !== undefined) fields.source = escapeLogValue(event.source)
  return { level: event.type === 'store.error' ? 'warn' : 'debug', message: `keyward ${event.type}`, fields }
}

/** The user's event hook and a logger as one event sink (undefined when neither: no cost). */
export function withLogger(
  onEvent: ((event: KeywardEvent) => void) | undefined,
  logger: KeywardLogger | undefined,
): ((event: KeywardEvent) => void) | undefined {
  if (!logger) return onEvent
  return (event) => {
    try {
      logger(eventLogEntry(event))
    } catch {
      // A failing logger must never break verification.
    }
    onEvent?.(event)
  }
}
