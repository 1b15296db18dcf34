import { relative } from 'node:path'
import { KeyFormat } from '@keyward/core'
import { listFiles } from './files.js'
import { findKeys } from './find-keys.js'
import { readRegularFile, type SkipReason, type Skipped } from './read.js'
import { decodeText, detectEncoding } from './text.js'

export type { SkipReason, Skipped } from './read.js'

/** A key of this deployment found in a file. `key` stays in memory; print only `redacted`. */
export interface Finding {
  file: string
  line: number
  column: number
  key: string
  redacted: string
}

interface ScanProgress {
  filesScanned: number
  filesTotal: number
}

export interface ScanOptions {
  /**
   * Follow symlinks, but only to targets inside the folder being scanned.
   * @default false
   */
  followSymlinks?: boolean
  /**
   * Larger files are skipped (`too_large`).
   * @default 10 MiB
   */
  maxFileBytes?: number
  onProgress?: (progress: ScanProgress) => void
}

export interface ScanResult {
  findings: Finding[]
  filesScanned: number
  /** What was not scanned, and why, in the order met. */
  skipped: Skipped[]
}

/** The default of `--max-file-bytes`. */
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024

/** How many files of each reason were skipped (every reason present, zero or not). */
export function countSkipped(skipped: Skipped[]): Record<SkipReason, number> {
  const counts: Record<SkipReason, number> = { binary: 0, too_large: 0, not_regular: 0, symlink: 0, unreadable: 0 }
  for (const { reason } of skipped) counts[reason]++
  return counts
}

/**
 * Find this deployment's keys (prefix + exact length + checksum) in the files under `paths`, read as
 * UTF-8 or UTF-16. Runs nothing from the scanned tree; reads only regular files up to
 * `maxFileBytes`; skips binaries; reports every file it did not scan and why.
 */
export function scanPaths(prefix: string | KeyFormat, paths: string[], cwd: string, options: ScanOptions = {}): ScanResult {
  const format = typeof prefix === 'string' ? new KeyFormat({ prefix }) : prefix
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES
  const { files, skipped } = listFiles(paths, cwd, options)
  const findings: Finding[] = []
  let filesScanned = 0
  for (const [index, { path, real }] of files.entries()) {
    if (options.onProgress && index % 200 === 0) options.onProgress({ filesScanned: index, filesTotal: files.length })
    const file = relative(cwd, path) || path
    const read = readRegularFile(real, maxFileBytes)
    if (!('bytes' in read)) {
      skipped.push({ file, ...read })
      continue
    }
    const encoding = detectEncoding(read.bytes)
    if (encoding === null) {
      skipped.push({ file, reason: 'binary' })
      continue
    }
    filesScanned++
    for (const { key, line, column } of findKeys(decodeText(read.bytes, encoding), format))
      findings.push({ file, line, column, key, redacted: format.redactKey(key) })
  }
  options.onProgress?.({ filesScanned: files.length, filesTotal: files.length })
  return { findings, filesScanned, skipped }
}
