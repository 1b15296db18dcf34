import type { AuditActor, UsageGranularity } from './analytics-types.js'
import { InvalidInputError } from './errors.js'
import { CONTROL_RE, validateOptionsBag } from './validate.js'

const GRANULARITIES: readonly UsageGranularity[] = ['minute', 'hour', 'day']
const ACTOR_LIMITS = { id: 200, ip: 100, userAgent: 500 } as const

/** The `{ actor }` a mutation was given, checked: an actor id is required, the rest optional and bounded. */
export function validateMutationOptions(options: unknown): AuditActor | null {
  if (options === undefined) return null
  const { actor } = validateOptionsBag(options, 'options', ['actor'])
  if (actor === undefined || actor === null) return null
  const fields = validateOptionsBag(actor, 'actor', ['id', 'ip', 'userAgent'])
  const checked: AuditActor = { id: actorText(fields.id, 'id', true)! }
  const ip = actorText(fields.ip, 'ip', false)
  const userAgent = actorText(fields.userAgent, 'userAgent', false)
  if (ip !== undefined) checked.ip = ip
  if (userAgent !== undefined) checked.userAgent = userAgent
  return checked
}

function actorText(value: unknown, field: keyof typeof ACTOR_LIMITS, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined
  const max = ACTOR_LIMITS[field]
  if (typeof value !== 'string' || value.length === 0 || value.length > max || CONTROL_RE.test(value))
    throw new InvalidInputError(`actor.${field}`, `must be a string of 1–${max} characters without control characters`)
  return value
}

/** A time argument (`Date` or epoch milliseconds) as epoch milliseconds. */
export function validateTime(value: unknown, field: string): number {
  const time = value instanceof Date ? value.getTime() : value
  if (typeof time !== 'number' || !Number.isFinite(time)) throw new InvalidInputError(field, 'must be a Date or epoch milliseconds')
  return time
}

/** `from` and `to` checked: both times, `from` before `to`. */
export function validateRange(from: unknown, to: unknown): { from: number; to: number } {
  const range = { from: validateTime(from, 'from'), to: validateTime(to, 'to') }
  if (range.from >= range.to) throw new InvalidInputError('to', 'must be later than from')
  return range
}

export function validateGranularity(value: unknown): UsageGranularity {
  if (!GRANULARITIES.includes(value as UsageGranularity)) throw new InvalidInputError('granularity', 'must be "minute", "hour" or "day"')
  return value as UsageGranularity
}

/** A page-size argument: a whole number from 1 to `max`, `fallback` when absent. */
export function validateLimit(value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw new InvalidInputError('limit', `must be an integer from 1 to ${max}`)
  return value
}
