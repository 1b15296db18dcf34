import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'

/** A fresh directory for database files, removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-sqlite-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

let n = 0
/** A new database file path in `dir`. */
export const dbPath = (dir: string): string => join(dir, `keys-${process.pid}-${++n}.db`)
