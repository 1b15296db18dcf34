/**
 * Command-line options of the bench scripts: `--name value` pairs, and `--flag` alone (value "1").
 */
export function parseArgs(argv: readonly string[] = process.argv.slice(2)): Map<string, string> {
  const args = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('--')) continue
    const next = argv[i + 1]
    if (next === undefined || next.startsWith('--')) args.set(arg.slice(2), '1')
    else {
      args.set(arg.slice(2), next)
      i++
    }
  }
  return args
}

/** A numeric option within [min, max], else an error naming it. */
export function numberArg(args: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const raw = args.get(name)
  const value = raw === undefined ? fallback : Number(raw)
  if (!Number.isFinite(value) || value < min || value > max)
    throw new RangeError(`--${name} must be a number from ${min} to ${max}, got ${raw}`)
  return value
}

/** A comma-separated option whose items must come from `allowed`. */
export function listArg<T extends string>(args: Map<string, string>, name: string, fallback: readonly T[], allowed: readonly T[]): T[] {
  const raw = args.get(name)
  if (raw === undefined) return [...fallback]
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const item of items)
    if (!allowed.includes(item as T)) throw new RangeError(`--${name}: unknown "${item}" (one of ${allowed.join(', ')})`)
  return items as T[]
}
