import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'

interface IgnoreRule {
  regex: RegExp
  negate: boolean
  dirOnly: boolean
}

/** One `.gitignore` line → a rule matched against paths relative to the file's folder. */
export function parseIgnoreLine(line: string): IgnoreRule | null {
  let text = line.replace(/\s+$/, '')
  if (text === '' || text.startsWith('#')) return null
  const negate = text.startsWith('!')
  if (negate) text = text.slice(1)
  const dirOnly = text.endsWith('/')
  if (dirOnly) text = text.slice(0, -1)
  const anchored = text.includes('/')
  if (text.startsWith('/')) text = text.slice(1)
  let source = ''
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (char === '*' && text[i + 1] === '*') {
      source += text[i + 2] === '/' ? '(?:.*/)?' : '.*'
      i += text[i + 2] === '/' ? 2 : 1
    } else if (char === '*') source += '[^/]*'
    else if (char === '?') source += '[^/]'
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return { regex: new RegExp(`^${anchored ? '' : '(?:.*/)?'}${source}(?:/.*)?$`), negate, dirOnly }
}

function ignored(rules: { base: string; rule: IgnoreRule }[], path: string, isDir: boolean): boolean {
  let result = false
  for (const { base, rule } of rules) {
    if (rule.dirOnly && !isDir) continue
    const rel = relative(base, path).split(sep).join('/')
    if (rel.startsWith('..')) continue
    if (rule.regex.test(rel)) result = !rule.negate
  }
  return result
}

function readIgnore(dir: string): { base: string; rule: IgnoreRule }[] {
  try {
    return readFileSync(join(dir, '.gitignore'), 'utf8')
      .split(/\r?\n/)
      .map(parseIgnoreLine)
      .filter((rule): rule is IgnoreRule => rule !== null)
      .map((rule) => ({ base: dir, rule }))
  } catch {
    return []
  }
}

function gitFiles(dir: string): string[] | null {
  try {
    const out = execFileSync('git', ['-C', dir, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 256 * 1024 * 1024,
    })
    return out.split('\0').filter(Boolean).map((file) => join(dir, file))
  } catch {
    return null
  }
}

function walk(dir: string, rules: { base: string; rule: IgnoreRule }[], out: string[]): void {
  const here = [...rules, ...readIgnore(dir)]
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '.git') continue
    const path = join(dir, entry.name)
    const isDir = entry.isDirectory()
    if (ignored(here, path, isDir)) continue
    if (isDir) walk(path, here, out)
    else if (entry.isFile()) out.push(path)
  }
}

/**
 * Files under `paths`, honouring `.gitignore`: inside a git work tree git itself lists them
 * (tracked and untracked, minus ignored); elsewhere the `.gitignore` files found on the way apply.
 */
export function listFiles(paths: string[], cwd: string): string[] {
  const files: string[] = []
  for (const given of paths) {
    const path = resolve(cwd, given)
    const stats = statSync(path)
    if (stats.isFile()) files.push(path)
    else if (stats.isDirectory()) files.push(...(gitFiles(path) ?? (walk(path, [], files), [])))
  }
  return [...new Set(files)]
}

const BINARY_SNIFF = 8000

/** Whether the bytes look like a binary file (a NUL byte near the start). */
export function isBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, BINARY_SNIFF).includes(0)
}
