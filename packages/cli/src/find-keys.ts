import type { KeyFormat } from '@keyward/core'

/** Where a key of this deployment starts in a text (1-based line and column, in UTF-16 code units). */
export interface KeyMatch {
  key: string
  line: number
  column: number
}

/**
 * Every key of `format`'s deployment in `text`, including keys glued to other word characters
 * (`xacme_live_…`, `…_suffix`): each occurrence of the prefix starts a candidate of the key's
 * exact length, kept only when its checksum is valid.
 */
export function findKeys(text: string, format: Pick<KeyFormat, 'prefix' | 'keyLength' | 'looksLikeKey'>): KeyMatch[] {
  const needle = `${format.prefix}_`
  const matches: KeyMatch[] = []
  let line = 1
  let lineStart = 0
  let counted = 0
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
    const candidate = text.slice(at, at + format.keyLength)
    if (!format.looksLikeKey(candidate)) continue
    for (let nl = text.indexOf('\n', counted); nl !== -1 && nl < at; nl = text.indexOf('\n', nl + 1)) {
      line++
      lineStart = nl + 1
    }
    counted = at
    matches.push({ key: candidate, line, column: at - lineStart + 1 })
    at += format.keyLength - 1
  }
  return matches
}
