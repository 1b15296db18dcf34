import type { Keyward } from '@keyward/core'
import { CliError, EXIT } from './errors.js'
import type { Io } from './io.js'
import { countSkipped, scanPaths, type Finding, type SkipReason, type Skipped } from './scan.js'

export interface ScanFlags {
  json?: boolean | undefined
  revoke?: boolean | undefined
  yes?: boolean | undefined
  'follow-symlinks'?: boolean | undefined
  'max-file-bytes'?: string | undefined
}

/** Each reason's label, singular and plural. */
const LABELS: Record<SkipReason, [string, string]> = {
  binary: ['binary', 'binary'],
  too_large: ['too large', 'too large'],
  not_regular: ['not a regular file', 'not regular files'],
  symlink: ['symlink', 'symlinks'],
  unreadable: ['unreadable', 'unreadable'],
}
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }
/** Skipped files listed one by one on stderr (binaries are only counted); `--json` lists them all. */
const LISTED_SKIPS = 20

/** `--max-file-bytes`: a whole number of bytes, or with a binary unit (`512K`, `10M`, `1G`). */
function parseByteSize(text: string): number {
  const match = /^(\d+)([kmg]?)(?:i?b)?$/i.exec(text.trim())
  const bytes = match ? Number(match[1]) * UNITS[match[2]!.toLowerCase()]! : NaN
  if (!Number.isSafeInteger(bytes) || bytes < 1)
    throw new CliError(`--max-file-bytes: expected a size like 1048576, 512K or 10M, got ${JSON.stringify(text)}`)
  return bytes
}

/** Whether the person at the terminal answers yes. */
export async function confirm(io: Required<Pick<Io, 'ask'>>, question: string): Promise<boolean> {
  return /^\s*y(es)?\s*$/i.test(await io.ask(`${question} [y/N] `))
}

function summary(findings: Finding[], filesScanned: number, skipped: Skipped[], ms: number): string {
  const counts = Object.entries(countSkipped(skipped)).filter(([, n]) => n > 0)
  const skips =
    skipped.length === 0
      ? ''
      : ` (${skipped.length} skipped: ${counts.map(([reason, n]) => `${n} ${LABELS[reason as SkipReason][n === 1 ? 0 : 1]}`).join(', ')})`
  const found = findings.length === 0 ? 'No keys found' : `Found ${findings.length} key${findings.length === 1 ? '' : 's'}`
  return `${found} in ${filesScanned} file${filesScanned === 1 ? '' : 's'}${skips} in ${ms} ms.`
}

function reportSkipped(skipped: Skipped[], io: Io): void {
  const listed = skipped.filter((s) => s.reason !== 'binary')
  for (const s of listed.slice(0, LISTED_SKIPS)) io.err(`skipped ${s.file}: ${LABELS[s.reason][0]}${s.detail ? ` (${s.detail})` : ''}\n`)
  if (listed.length > LISTED_SKIPS) io.err(`… and ${listed.length - LISTED_SKIPS} more skipped (--json lists them all)\n`)
}

/** The keys among `findings` that exist in the store and are not revoked yet, each once. */
async function revocable(keyward: Keyward, findings: Finding[]) {
  const seen = new Set<string>()
  const found = []
  for (const { key, redacted } of findings) {
    if (seen.has(key)) continue
    seen.add(key)
    const info = await keyward.identify(key)
    if (info && info.status !== 'revoked') found.push({ info, redacted })
  }
  return found
}

/**
 * `keyward scan [paths…]`: exit 0 when no key is found, 1 when any is. With `--revoke`, the keys found
 * that exist in the store are revoked after the person at the terminal confirms, or with `--yes`:
 * each reported as leaked (`key.leaked` in the audit log) then revoked, both by `mutation.actor`.
 */
export async function runScan(
  prefix: string,
  paths: string[],
  flags: ScanFlags,
  io: Io,
  openKeyward: () => Promise<Keyward>,
  mutation: { actor: { id: string } },
): Promise<number> {
  const ask = io.stdinIsTTY === true ? io.ask : undefined
  if (flags.revoke && !flags.yes && !ask)
    throw new CliError('scan --revoke asks before revoking, but standard input is not a terminal: pass --yes to revoke without asking')
  const maxFileBytes = flags['max-file-bytes'] === undefined ? undefined : parseByteSize(flags['max-file-bytes'])
  const started = Date.now()
  let lastReport = 0
  const { findings, filesScanned, skipped } = scanPaths(prefix, paths.length > 0 ? paths : ['.'], io.cwd, {
    followSymlinks: flags['follow-symlinks'] === true,
    ...(maxFileBytes !== undefined && { maxFileBytes }),
    onProgress: (p) => {
      if (io.stderrIsTTY && Date.now() - lastReport > 250 && p.filesTotal > 500) {
        lastReport = Date.now()
        io.err(`\rscanning ${p.filesScanned}/${p.filesTotal} files…`)
      }
    },
  })
  if (io.stderrIsTTY && lastReport > 0) io.err('\r\x1b[K')
  const ms = Date.now() - started
  const json = flags.json === true
  if (!json) for (const f of findings) io.out(`${f.file}:${f.line}:${f.column}: ${f.redacted}\n`)

  const revoked: string[] = []
  let declined = false
  if (flags.revoke && findings.length > 0) {
    const keyward = await openKeyward()
    const targets = await revocable(keyward, findings)
    if (targets.length > 0 && !flags.yes && ask) {
      for (const { info, redacted } of targets) io.err(`  ${redacted}  ${info.id}  "${info.name}" (${info.status})\n`)
      declined = !(await confirm(
        { ask },
        `Revoke ${targets.length === 1 ? 'this key' : `these ${targets.length} keys`}? This cannot be undone.`,
      ))
    }
    if (!declined)
      for (const { info } of targets) {
        await keyward.reportLeak(info.id, {}, mutation)
        await keyward.revoke(info.id, mutation)
        revoked.push(info.id)
      }
  }

  if (json) {
    const report = {
      findings: findings.map(({ key: _key, ...rest }) => rest),
      filesScanned,
      skipped: skipped.length,
      skippedBy: countSkipped(skipped),
      skippedFiles: skipped,
      revoked,
    }
    io.out(`${JSON.stringify(report)}\n`)
  } else {
    reportSkipped(skipped, io)
    const next = flags.revoke
      ? declined
        ? ' Nothing revoked.'
        : ` Revoked ${revoked.length}.`
      : findings.length > 0
        ? ' Revoke them with --revoke, then remove them from the files and their history.'
        : ''
    io.err(`${summary(findings, filesScanned, skipped, ms)}${next}\n`)
  }
  return findings.length > 0 ? EXIT.failed : EXIT.ok
}
