/** The page's countdowns: one humanized unit, the same reading for the same span (issue 13: "ends in 1 days"). */
import { describe, expect, it } from 'vitest'
import { formatIn } from '../src/pages/format.js'

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0)
const inMs = (ms: number) => formatIn(new Date(NOW + ms), NOW)
const S = 1000
const MIN = 60 * S
const H = 60 * MIN
const DAY = 24 * H

describe('formatIn', () => {
  it('reads a 24-hour grace the same right after rotating and a moment later: "in 24 h", never "in 1 days"', () => {
    expect(inMs(DAY + 400)).toBe('in 24 h')
    expect(inMs(DAY)).toBe('in 24 h')
    expect(inMs(DAY - 2 * S)).toBe('in 24 h')
    expect(inMs(DAY + 30 * MIN - S)).toBe('in 24 h')
  })

  it('uses one unit per span, rounded to that unit, and never a plural of one', () => {
    const cases: [number, string][] = [
      [-5 * S, 'in under a minute'],
      [0, 'in under a minute'],
      [59 * S, 'in under a minute'],
      [60 * S, 'in 1 min'],
      [90 * S, 'in 2 min'],
      [59 * MIN, 'in 59 min'],
      [59 * MIN + 40 * S, 'in 1 h'],
      [H, 'in 1 h'],
      [H + 1, 'in 1 h'],
      [36 * H, 'in 36 h'],
      [47 * H + 29 * MIN, 'in 47 h'],
      [47 * H + 31 * MIN, 'in 2 days'],
      [7 * DAY, 'in 7 days'],
      [90 * DAY + 3 * H, 'in 90 days'],
    ]
    for (const [ms, text] of cases) expect(inMs(ms), `${ms} ms`).toBe(text)
    for (let ms = 0; ms < 400 * DAY; ms += 37 * MIN + 13 * S) expect(inMs(ms)).not.toMatch(/\b1 (days|hours|mins)\b/)
  })
})
