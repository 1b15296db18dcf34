/** Helpers for the Markdown reports of the bench scripts. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'

export const BENCHMARKS_FILE = join(import.meta.dirname, '..', '..', 'BENCHMARKS.md')

export const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })
export const machine = () => `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}`

/**
 * Replace the `## <title>` section of BENCHMARKS.md (up to the next `## ` heading) with `body`,
 * or append it. Only that section changes.
 */
export function writeSection(title: string, body: string, file = BENCHMARKS_FILE): void {
  const section = `## ${title}\n\n${body.trim()}\n`
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n'
  const heading = new RegExp(`^## ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm')
  const start = current.search(heading)
  let next: string
  if (start === -1) next = `${current.trimEnd()}\n\n${section}`
  else {
    const rest = current.slice(start + 1)
    const end = rest.search(/^## /m)
    next = current.slice(0, start) + section + (end === -1 ? '' : `\n${rest.slice(end)}`)
  }
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`)
}

/**
 * Print a bench's report and, unless `--no-write` was given, put it in its BENCHMARKS.md section.
 * `render` receives the command line that reproduces the run.
 */
export function publishReport(section: string, script: string, render: (command: string) => string, write: boolean): void {
  const extra = process.argv.slice(2).filter((a) => a !== '--no-write')
  const markdown = render(`pnpm ${script}${extra.length ? ` -- ${extra.join(' ')}` : ''}`)
  console.log(markdown)
  if (write) {
    writeSection(section, markdown)
    console.error(`wrote the ${section} section of BENCHMARKS.md`)
  }
}
