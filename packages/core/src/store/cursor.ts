import { InvalidInputError } from '../errors.js'

/** The keyset position after a record in `createdAt desc, id desc` order. */
export interface ListPosition {
  createdAt: number
  id: string
}

const CURSOR_RE = /^(\d{1,16})\.([0-9A-Za-z]{1,64})$/
/** The largest time a JavaScript `Date` (and so every store) can hold: 8.64e15 ms. */
const MAX_TIME = 8_640_000_000_000_000

/** An opaque cursor for the position after `record`. Stores may use this helper or their own. */
export function encodeCursor(position: ListPosition): string {
  return `${position.createdAt}.${position.id}`
}

/**
 * The position a cursor names; throws `InvalidInputError` (`cursor`) for anything else, including
 * a well-formed cursor whose time no `Date` can hold, so a tampered cursor is the caller's mistake
 * (400) and never reaches a database that would reject it (503).
 */
export function decodeCursor(cursor: string): ListPosition {
  const match = typeof cursor === 'string' ? CURSOR_RE.exec(cursor) : null
  const createdAt = match ? Number(match[1]) : NaN
  if (!match || !(createdAt <= MAX_TIME)) throw new InvalidInputError('cursor', 'is not a cursor returned by list()')
  return { createdAt, id: match[2]! }
}

/** Whether a record at (`createdAt`, `id`) comes after `position` in `createdAt desc, id desc` order. */
export function isAfter(createdAt: number, id: string, position: ListPosition): boolean {
  return createdAt < position.createdAt || (createdAt === position.createdAt && id < position.id)
}
