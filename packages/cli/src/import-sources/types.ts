import type { Keyward } from '@keyward/core'

/** What `keyward.import` takes. */
export type ImportInput = Parameters<Keyward['import']>[0]

/** One key read from another system, mapped to Keyward's import input (or why it cannot be). */
export interface SourceRow {
  /** Where it is in the source: 1 for the first key (a CSV's header is not counted). */
  row: number
  /** The mapped input, or the reason this row is not valid (never quoting a key or digest). */
  input: ImportInput | { error: string }
  /** The other system had the key switched off: it is imported, then disabled. */
  disabled?: boolean
  /** The first characters of the key as the other system showed them (checked against the legacy prefixes, never printed). */
  start?: string | null
  /** Strings of this row that must never be printed (the key, the digest). */
  secrets: string[]
}

/** Options every reader takes. */
export interface ReadOptions {
  /** The column (or field) that names the owner, instead of the source's default. */
  ownerColumn?: string | undefined
  /** The working directory, for relative paths. */
  cwd: string
}

/**
 * The keys of another system, read in order one at a time. Each call of `rows` reads the source
 * from its start (the check pass and the write pass read it once each), so no row is kept.
 */
export interface Source {
  rows(): AsyncIterable<SourceRow>
}

/** Opens a source of keys (checks what can be checked before reading: the scheme, the format). */
export type SourceReader = (source: string, options: ReadOptions) => Promise<Source>
