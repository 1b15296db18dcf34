import type { SecretScanningOptions } from './types.js'

/** Remembers handled matches for a window, in bounded memory (oldest first out). */
export function matchMemory(dedupe: SecretScanningOptions['dedupe'], now: () => number) {
  if (dedupe === false) return { claim: () => true, release: () => {} }
  if (dedupe !== undefined && (dedupe === null || typeof dedupe !== 'object'))
    throw new TypeError('dedupe must be false or { windowMs?, max? }')
  const windowMs = positiveInteger('dedupe.windowMs', dedupe?.windowMs ?? 86_400_000)
  const max = positiveInteger('dedupe.max', dedupe?.max ?? 10_000)
  const seen = new Map<string, number>()
  return {
    /** True the first time `digest` is seen within the window (and remembers it). */
    claim(digest: string): boolean {
      const at = now()
      const before = seen.get(digest)
      if (before !== undefined && at - before < windowMs) return false
      seen.delete(digest)
      seen.set(digest, at)
      for (const [oldest, when] of seen) {
        if (seen.size <= max && at - when < windowMs) break
        seen.delete(oldest)
      }
      return true
    },
    release(digest: string): void {
      seen.delete(digest)
    },
  }
}

export function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`${name} must be a positive integer, got ${String(value)}`)
  return value
}
