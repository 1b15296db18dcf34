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
    c === '\n'
      ? '\\n'
      : c === '\r'
        ? '\\r'
        : c === '"'
          ? '\\"'
          : c === '\\'
            ? '\\\\'
            : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** The log line for an audit event. */
function eventLogEntry(event: KeywardEvent): LogEntry {
  const fields: LogEntry['fields'] = {}
  if (event.keyId !== undefined) fields.keyId = escapeLogValue(event.keyId)
  if (event.ownerId != null) fields.ownerId = escapeLogValue(event.ownerId)
  if (event.code !== undefined) fields.code = event.code
  if (event.successorId !== undefined) fields.successorId = event.successorId
  if (event.operation !== undefined) fields.operation = event.operation
  if (event.source !== undefined) fields.source = escapeLogValue(event.source)
  if (event.cause !== undefined) fields.cause = escapeLogValue(event.cause, 300)
  return { level: event.type === 'store.error' ? 'warn' : 'debug', message: `keyward ${event.type}`, fields }
}

/** How long a warning is not repeated: a store outage logs its cause once a minute, not once a request. */
const REPEAT_MS = 60_000
const MAX_REMEMBERED = 100

/**
 * Passes debug lines through, and each distinct warning (same message and fields) once per
 * minute; a repeat after that carries `repeated`, how many were held back meanwhile.
 */
function withoutRepeats(logger: KeywardLogger): KeywardLogger {
  const seen = new Map<string, { at: number; held: number }>()
  return (entry) => {
    if (entry.level !== 'warn') return logger(entry)
    const { keyId: _keyId, ...distinct } = entry.fields
    const key = `${entry.message} ${JSON.stringify(distinct)}`
    const now = Date.now()
    const last = seen.get(key)
    if (last !== undefined && now - last.at < REPEAT_MS) {
      last.held++
      return
    }
    if (seen.size >= MAX_REMEMBERED) seen.delete(seen.keys().next().value as string)
    seen.set(key, { at: now, held: 0 })
    logger(last?.held ? { ...entry, fields: { ...entry.fields, repeated: last.held } } : entry)
  }
}

/** Without a configured logger: warnings (a failing store and why) on `console.warn`, nothing else. */
const consoleWarnings: KeywardLogger = ({ level, message, fields }) => {
  if (level === 'warn') console.warn(`${message} ${JSON.stringify(fields)}`)
}

/** Where an instance's events go, and whether anything but store errors is listened to. */
export interface EventRoute {
  sink: ((event: KeywardEvent) => void) | undefined
  /** False when only `store.error` reaches anyone: callers then skip building other events. */
  all: boolean
}

/**
 * The user's event hook and a logger as one event sink. `logger` undefined: warnings (store
 * errors and why) go to `console.warn`; `false`: no logging at all.
 */
export function routeEvents(onEvent: ((event: KeywardEvent) => void) | undefined, logger: KeywardLogger | false | undefined): EventRoute {
  if (logger === false) return { sink: onEvent, all: onEvent !== undefined }
  const log = withoutRepeats(logger ?? consoleWarnings)
  const all = onEvent !== undefined || logger !== undefined
  return {
    all,
    sink: (event) => {
      if (all || event.type === 'store.error')
        try {
          log(eventLogEntry(event))
        } catch {
          // A failing logger must never break verification.
        }
      onEvent?.(event)
    },
  }
}

const warned = new Set<string>()

/**
 * A configuration warning, on `console.warn`, once per process. Skipped under a test runner
 * (`NODE_ENV=test` or `VITEST`), where the same configuration is built many times on purpose.
 */
export function warnOnce(id: string, message: string): void {
  if (warned.has(id)) return
  warned.add(id)
  if (underTestRunner()) return
  console.warn(`[keyward] ${message}`)
}

/** `NODE_ENV=test` or `VITEST` set. False where the environment cannot be read (Deno without `--allow-env` throws). */
function underTestRunner(): boolean {
  try {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    return env?.NODE_ENV === 'test' || env?.VITEST !== undefined
  } catch {
    return false
  }
}
