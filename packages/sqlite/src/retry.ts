import { storeFailure } from '@keyward/core/store'

/** Longest pause between two tries while another connection holds the lock. */
const MAX_RETRY_PAUSE_MS = 20

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** SQLITE_BUSY and its extended codes (BUSY_SNAPSHOT, BUSY_RECOVERY, BUSY_TIMEOUT). */
const isBusy = (error: unknown): boolean => String((error as { code?: unknown } | null)?.code).startsWith('SQLITE_BUSY')

/**
 * Run `run` (one statement or transaction), trying again while another connection holds the
 * lock, for up to `timeoutMs`, without blocking the event loop; then it rejects with
 * `StoreUnavailableError` (`operation`, the SQLITE_BUSY as cause). A busy statement did nothing,
 * so trying it again is safe. `checkOpen` runs before every try (it throws after `close()`).
 */
export async function retryWhileBusy<T>(operation: string, timeoutMs: number, checkOpen: () => void, run: () => T): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (let pause = 1; ; pause = Math.min(pause * 2, MAX_RETRY_PAUSE_MS)) {
    checkOpen()
    try {
      return run()
    } catch (error) {
      const left = deadline - performance.now()
      if (!isBusy(error) || left <= 0) throw storeFailure(operation, error)
      await sleep(Math.min(pause, left))
    }
  }
}
