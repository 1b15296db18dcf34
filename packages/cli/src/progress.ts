/** A one-line progress bar on a terminal's stderr, redrawn at most every 100 ms and cleared when done. */
export interface Progress {
  tick(done: number): void
  done(): void
}

const WIDTH = 30
const NONE: Progress = { tick: () => undefined, done: () => undefined }

/**
 * A progress bar for `total` steps written with `write` (stderr), or one that draws nothing when
 * `show` is false (not a terminal, `--json`, or too few steps to be worth it).
 */
export function progressBar(label: string, total: number, write: (text: string) => void, show: boolean): Progress {
  if (!show || total === 0) return NONE
  let last = 0
  let drawn = false
  const draw = (done: number) => {
    const filled = Math.round((done / total) * WIDTH)
    write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total}`)
    drawn = true
  }
  return {
    tick(done) {
      const now = Date.now()
      if (now - last < 100 && done < total) return
      last = now
      draw(done)
    },
    done() {
      if (drawn) write('\r\x1b[2K')
    },
  }
}
