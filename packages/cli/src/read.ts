import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'

/** Why `keyward scan` did not read a file. Stable codes, used as-is in `--json` output. */
export type SkipReason = 'binary' | 'too_large' | 'not_regular' | 'symlink' | 'unreadable'

/** A file (or folder) that was not scanned, and why. */
export interface Skipped {
  file: string
  reason: SkipReason
  /** A short, content-free explanation, e.g. `"points outside the scan root"`. */
  detail?: string
}

// Never block on a FIFO or a device, and never follow a symlink swapped in as the last component.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0)
const CHUNK = 64 * 1024

/**
 * The bytes of `path` when it is a regular file of at most `maxBytes` bytes; otherwise why not.
 * Whatever `path` is by the time it is opened (FIFO, device, a symlink swapped in), this neither
 * blocks nor reads more than `maxBytes + 1` bytes.
 */
export function readRegularFile(path: string, maxBytes: number): { bytes: Buffer } | Omit<Skipped, 'file'> {
  let fd: number
  try {
    fd = openSync(path, OPEN_FLAGS)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'ELOOP' ? { reason: 'symlink' } : { reason: 'unreadable', detail: code ?? 'error' }
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) return { reason: 'not_regular' }
    if (stats.size > maxBytes) return { reason: 'too_large', detail: `${stats.size} bytes` }
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total))
      const read = readSync(fd, chunk, 0, chunk.length, null)
      if (read === 0) break
      chunks.push(read === chunk.length ? chunk : chunk.subarray(0, read))
      total += read
      if (total > maxBytes) return { reason: 'too_large', detail: `over ${maxBytes} bytes` }
    }
    return { bytes: Buffer.concat(chunks, total) }
  } catch (error) {
    return { reason: 'unreadable', detail: (error as NodeJS.ErrnoException).code ?? 'error' }
  } finally {
    closeSync(fd)
  }
}
