/** Readers of loosely typed values as other systems export them (SQL columns, CSV cells, JSON fields). */

/** A thrown message about one field of a row; the reader turns it into the row's error. */
export class RowError extends Error {}

/** Null for an absent value: undefined, null or an empty string. */
export function blank(value: unknown): boolean {
  return value === undefined || value === null || value === ''
}

/**
 * A time as epoch milliseconds: a `Date`, a number (milliseconds; seconds when below 10^11), an ISO
 * string or a string of digits. Null when blank.
 */
export function time(value: unknown, field: string): number | null {
  if (blank(value)) return null
  let ms: number
  if (value instanceof Date) ms = value.getTime()
  else if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value))) {
    const n = Number(value)
    ms = n < 1e11 ? n * 1000 : n
  } else if (typeof value === 'string') ms = Date.parse(/^\d{4}-\d{2}-\d{2} \d/.test(value) ? value.replace(' ', 'T') : value)
  else ms = Number.NaN
  if (!Number.isFinite(ms)) throw new RowError(`${field}: not a date or time`)
  return Math.round(ms)
}

/** A whole number, or null when blank. */
export function whole(value: unknown, field: string): number | null {
  if (blank(value)) return null
  const n = typeof value === 'string' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new RowError(`${field}: not a whole number`)
  return n
}

/** A boolean: true/false, 1/0, t/f, yes/no; `fallback` when blank. */
export function flag(value: unknown, field: string, fallback: boolean): boolean {
  if (blank(value)) return fallback
  if (typeof value === 'boolean') return value
  const text = String(value).toLowerCase()
  if (['1', 't', 'true', 'yes', 'y'].includes(text)) return true
  if (['0', 'f', 'false', 'no', 'n'].includes(text)) return false
  throw new RowError(`${field}: not true or false`)
}

/** A JSON value given as JSON text (once or twice encoded, as some systems store it) or already parsed; null when blank. */
export function json(value: unknown, field: string): unknown {
  if (blank(value)) return null
  if (typeof value !== 'string') return value
  try {
    const parsed: unknown = JSON.parse(value)
    return typeof parsed === 'string' && /^\s*[[{]/.test(parsed) ? JSON.parse(parsed) : parsed
  } catch {
    throw new RowError(`${field}: not valid JSON`)
  }
}

/** A JSON object (metadata), or undefined when blank. */
export function object(value: unknown, field: string): Record<string, unknown> | undefined {
  const parsed = json(value, field)
  if (parsed === null) return undefined
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new RowError(`${field}: must be a JSON object`)
  return parsed as Record<string, unknown>
}

/** A string, or undefined when blank. */
export function text(value: unknown): string | undefined {
  return blank(value) ? undefined : String(value)
}

/** `fields` without the undefined ones (import input is checked strictly). */
export function defined<T extends Record<string, unknown>>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as T
}
