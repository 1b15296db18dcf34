import { readFileSync, statSync } from 'node:fs'
import { relative } from 'node:path'
import type { Keyward } from '@keyward/core'
import { isBinary, listFiles } from './files.js'

/** A key of this deployment found in a file. `key` stays in memory; print only `redacted`. */
export interface Finding {
  file: string
  line: number
  column: number
  key: string
  redacted: string
}

export interface ScanProgress {
  filesScanned: number
  filesTotal: number
}

const MAX_FILE_BYTES = 20 * 1024 * 1024

/** Find this deployment's keys (pattern + checksum) in files under `paths`. Skips binaries and huge files. */
export function scanPaths(
  keyward: Pick<Keyward, 'pattern' | 'looksLikeKey' | 'redact'>,
  paths: string[],
  cwd: string,
  onProgress?: (progress: ScanProgress) => void,
): { findings: Finding[]; filesScanned: number; skipped: number } {
  const files = listFiles(paths, cwd)
  const pattern = new RegExp(keyward.pattern.source, 'g')
  const findings: Finding[] = []
  let skipped = 0
  files.forEach((file, index) => {
    if (onProgress && index % 200 === 0) onProgress({ filesScanned: index, filesTotal: files.length })
    let bytes: Buffer
    try {
      if (statSync(file).size > MAX_FILE_BYTES) return void skipped++
      bytes = readFileSync(file)
    } catch {
      return void skipped++
    }
    if (isBinary(bytes)) return void skipped++
    const lines = bytes.toString('utf8').split('\n')
    lines.forEach((text, lineIndex) => {
      for (const match of text.matchAll(pattern)) {
        if (!keyward.looksLikeKey(match[0])) continue
        findings.push({
          file: relative(cwd, file) || file,
          line: lineIndex + 1,
          column: (match.index ?? 0) + 1,
          key: match[0],
          redacted: keyward.redact(match[0]),
        })
      }
    })
  })
  onProgress?.({ filesScanned: files.length, filesTotal: files.length })
  return { findings, filesScanned: files.length - skipped, skipped }
}
