import type { VerifyCost } from './charges.js'
import { isLimitName } from './validate.js'

const isUnits = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0

/**
 * Check `verify`'s `cost`: a whole number (credits; each limit spends 1), or an object of whole
 * numbers by limit name, with `credits` for credits. A wrong shape is a programming error and
 * throws, like every verify option.
 */
export function checkVerifyCost(cost: unknown): VerifyCost {
  if (cost === undefined) return 1
  if (isUnits(cost)) return cost
  if (cost !== null && typeof cost === 'object' && Object.getPrototypeOf(cost) === Object.prototype) {
    for (const [name, units] of Object.entries(cost)) {
      if (!isLimitName(name) && name !== 'credits')
        throw new TypeError(
          `cost names must be limit names (^[a-z0-9][a-z0-9_-]{0,31}$) or "credits", got ${JSON.stringify(String(name).slice(0, 40))}`,
        )
      if (!isUnits(units)) throw new TypeError(`cost.${name} must be a whole number, 0 or more, got ${String(units)}`)
    }
    return cost as VerifyCost
  }
  throw new TypeError(`cost must be a whole number, 0 or more, or { [limitName]: units }, got ${String(cost)}`)
}
