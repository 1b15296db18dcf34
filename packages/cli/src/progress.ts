/** A one-line progress bar on a terminal's stderr, redrawn at most every 100 ms and cleared when done. */
export interface Progress {
  tick(done: number): void
  done(): void
}

const WIDTH = 30
const NONE: Progress = { tick: () => undefined, done: () => undefined }

/**
 * A progress bar for `total` steps written with `write` (stderr), or one that draws nothing when
 * `show` is false (not a terminal, `--json`) or there are fewer than `from` steps. Without a total
 * (a source read as it goes) it counts the steps, from the `from`th on.
 */
export function progressBar(
  label: string,
  total: number | undefined,
  write: (text: string) => void,
  show: boolean,
  from: number,
): Progress {
  if (!show || (total !== undefined && total < from)) return NONE
  let last = 0
  let drawn = false
  const draw = (done: number) => {
    if (total === undefined) write(`\r${label} ${done} rows`)
    else {
      const filled = Math.round((done / total) * WIDTH)
      write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total}`)
    }
    drawn = true
  }
  return {
    tick(done) {
      const now = Date.now()
      if ((now - last < 100 && done !== total) || (total === undefined && done < from)) return
      last = now
      draw(done)
    },
    done() {
      if (drawn) write('\r\x1b[2K')
    },
  }
}
