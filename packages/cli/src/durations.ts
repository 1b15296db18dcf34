import { CliError } from './errors.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** `90s`, `15m`, `2h`, `30d`, `1w` or plain milliseconds → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(text.trim())
  if (!match) throw new CliError(`${flag}: expected a duration like 90s, 15m, 2h, 30d or 1w, got ${JSON.stringify(text)}`)
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']!)
}

/** An ISO date/time, or a duration from now prefixed with `+` (`+30d`). */
export function parseWhen(text: string, flag: string, now = Date.now()): Date {
  if (text.startsWith('+')) return new Date(now + parseDuration(text.slice(1), flag))
  const date = new Date(text)
  if (Number.isNaN(date.getTime()))
    throw new CliError(`${flag}: expected an ISO date (2027-01-31) or +duration (+30d), got ${JSON.stringify(text)}`)
  return date
}

/** A short human form of a past or future time relative to now. */
export function relative(date: Date | null, now = Date.now()): string {
  if (date === null) return '—'
  const delta = date.getTime() - now
  const abs = Math.abs(delta)
  const [value, unit] =
    abs < 60_000
      ? [Math.round(abs / 1000), 's']
      : abs < 3_600_000
        ? [Math.round(abs / 60_000), 'm']
        : abs < 86_400_000
          ? [Math.round(abs / 3_600_000), 'h']
          : [Math.round(abs / 86_400_000), 'd']
  return delta >= 0 ? `in ${value}${unit}` : `${value}${unit} ago`
}
