import { InvalidInputError } from '../errors.js'

/** The keyset position after a record in `createdAt desc, id desc` order. */
export interface ListPosition {
  createdAt: number
  id: string
}

const CURSOR_RE = /^(\d{1,16})\.([0-9A-Za-z]{1,64})$/

/** An opaque cursor for the position after `record`. Stores may use this helper or their own. */
export function encodeCursor(position: ListPosition): string {
  return `${position.createdAt}.${position.id}`
}

/** The position a cursor names; throws `InvalidInputError` for anything else. */
export function decodeCursor(cursor: string): ListPosition {
  const match = typeof cursor === 'string' ? CURSOR_RE.exec(cursor) : null
  if (!match) throw new InvalidInputError('cursor', 'is not a cursor returned by list()')
  return { createdAt: Number(match[1]), id: match[2]! }
}

/** Whether a record at (`createdAt`, `id`) comes after `position` in `createdAt desc, id desc` order. */
export function isAfter(createdAt: number, id: string, position: ListPosition): boolean {
  return createdAt < position.createdAt || (createdAt === position.createdAt && id < position.id)
}
