import type { Credits, RateLimit } from '@keyward/core'
import { parseDuration } from './durations.js'
import { CliError } from './errors.js'

const WHOLE = /^\d+$/

function wholeNumber(text: string, flag: string, what: string, usage: string): number {
  if (!WHOLE.test(text)) throw new CliError(`${flag}: ${what} must be a whole number (${usage}), got ${JSON.stringify(text)}`)
  return Number(text)
}

const RATE_USAGE = 'like 100/1m: at most 100 requests a minute; none to remove'

/**
 * `--rate-limit <limit>/<window>` (`100/1m`, `5000/1h`), or `none` for no per-key limit (which also
 * overrides an instance default). Core checks the ranges; this only reads the shape.
 */
function parseRateLimit(text: string | undefined): RateLimit | null | undefined {
  if (text === undefined) return undefined
  if (text === 'none') return null
  const parts = text.split('/')
  if (parts.length !== 2) throw new CliError(`--rate-limit: expected <limit>/<window> (${RATE_USAGE}), got ${JSON.stringify(text)}`)
  return { limit: wholeNumber(parts[0]!, '--rate-limit', 'the limit', RATE_USAGE), windowMs: parseDuration(parts[1]!, '--rate-limit') }
}

const CREDITS_USAGE = 'like 1000, or 1000/1000/1d to refill to 1000 every day; none to remove'

/**
 * `--credits <remaining>[/<refill amount>/<interval>]` (`1000`, `1000/1000/1d`), or `none` for
 * unlimited use.
 */
function parseCredits(text: string | undefined): Pick<Credits, 'remaining' | 'refill'> | null | undefined {
  if (text === undefined) return undefined
  if (text === 'none') return null
  const parts = text.split('/')
  if (parts.length !== 1 && parts.length !== 3)
    throw new CliError(`--credits: expected <remaining>[/<refill>/<interval>] (${CREDITS_USAGE}), got ${JSON.stringify(text)}`)
  const remaining = wholeNumber(parts[0]!, '--credits', 'the credits', CREDITS_USAGE)
  if (parts.length === 1) return { remaining }
  return {
    remaining,
    refill: {
      amount: wholeNumber(parts[1]!, '--credits', 'the refill amount', CREDITS_USAGE),
      intervalMs: parseDuration(parts[2]!, '--credits'),
    },
  }
}

/** The `rateLimit` and `credits` fields of a create or update input, from the flags given. */
export function limitFields(flags: { 'rate-limit'?: string | undefined; credits?: string | undefined }) {
  const rateLimit = parseRateLimit(flags['rate-limit'])
  const credits = parseCredits(flags.credits)
  return { ...(rateLimit !== undefined && { rateLimit }), ...(credits !== undefined && { credits }) }
}
