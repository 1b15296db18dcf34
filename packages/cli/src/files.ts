import { lstatSync, readdirSync, realpathSync, statSync, type Dirent } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import ignore, { type Ignore } from 'ignore'
import { CliError } from './errors.js'
import { readRegularFile, type Skipped } from './read.js'

/** A file to scan: `path` as the user sees it, `real` the file to open (differs through a followed symlink). */
export interface ListedFile {
  path: string
  real: string
  /** Reached through a followed symlink. */
  viaLink: boolean
}

export interface ListOptions {
  /** Follow symlinks whose targets stay inside the scan root. @default false */
  followSymlinks?: boolean
}

interface Rules {
  base: string
  rules: Ignore
}

const MAX_GITIGNORE_BYTES = 1024 * 1024

/** The `.gitignore` in `dir`, read like any scanned file: regular files only, bounded. */
function readGitignore(dir: string): Rules[] {
  const read = readRegularFile(join(dir, '.gitignore'), MAX_GITIGNORE_BYTES)
  return 'bytes' in read ? [{ base: dir, rules: ignore().add(read.bytes.toString('utf8')) }] : []
}

/** Git's precedence: a deeper `.gitignore` overrides a shallower one; the last matching line wins. */
function isIgnored(stack: Rules[], path: string, isDir: boolean): boolean {
  let ignored = false
  for (const { base, rules } of stack) {
    const rel = relative(base, path).split(sep).join('/')
    if (rel === '' || rel.startsWith('..')) continue
    const result = rules.test(isDir ? `${rel}/` : rel)
    if (result.ignored) ignored = true
    else if (result.unignored) ignored = false
  }
  return ignored
}

/** `.gitignore` files between the enclosing git work tree's top (a folder holding `.git`) and `dir`, outermost first. */
function enclosingRules(dir: string): Rules[] {
  const above: string[] = []
  for (let at = dir; !exists(join(at, '.git')); at = dirname(at)) {
    if (dirname(at) === at) return []
    above.unshift(dirname(at))
  }
  return above.flatMap(readGitignore)
}

function exists(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)
}

class Walker {
  readonly files: ListedFile[] = []
  readonly skipped: Skipped[] = []
  readonly #visited = new Set<string>()

  constructor(
    readonly cwd: string,
    readonly follow: boolean,
  ) {}

  skip(path: string, reason: Skipped['reason'], detail?: string): void {
    this.skipped.push({ file: relative(this.cwd, path) || path, reason, ...(detail !== undefined && { detail }) })
  }

  /** A symlink at `path`: its real target when it may be followed, else null (and recorded as skipped). */
  resolveLink(path: string, root: string): string | null {
    let real: string | null = null
    try {
      if (this.follow) real = realpathSync(path)
    } catch {
      this.skip(path, 'symlink', 'broken or looping link')
      return null
    }
    if (real === null) this.skip(path, 'symlink')
    else if (!isInside(root, real)) this.skip(path, 'symlink', 'points outside the scan root')
    else return real
    return null
  }

  /** Everything under folder `dir` (whose real path is `real`) inside scan root `root` (a real path). */
  walk(dir: string, real: string, root: string, inherited: Rules[], viaLink = false): void {
    this.#visited.add(real)
    let entries: Dirent[]
    try {
      entries = readdirSync(real, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    } catch (error) {
      this.skip(dir, 'unreadable', (error as NodeJS.ErrnoException).code)
      return
    }
    const stack = [...inherited, ...readGitignore(dir)]
    for (const entry of entries) {
      if (entry.name === '.git') continue
      const path = join(dir, entry.name)
      if (isIgnored(stack, path, entry.isDirectory())) continue
      if (entry.isDirectory()) this.walk(path, join(real, entry.name), root, stack, viaLink)
      else if (entry.isFile()) this.files.push({ path, real: join(real, entry.name), viaLink })
      else if (entry.isSymbolicLink()) this.followLink(path, root, stack)
      else this.skip(path, 'not_regular')
    }
  }

  followLink(path: string, root: string, stack: Rules[]): void {
    const target = this.resolveLink(path, root)
    if (target === null) return
    const stats = statSync(target, { throwIfNoEntry: false })
    if (stats?.isDirectory()) {
      if (this.#visited.has(target)) this.skip(path, 'symlink', 'loops back to a folder already scanned')
      else this.walk(path, target, root, stack, true)
    } else if (stats?.isFile()) this.files.push({ path, real: target, viaLink: true })
    else this.skip(path, 'not_regular')
  }

  /** A path named on the command line: a folder is walked (honouring `.gitignore`), a file is scanned as named. */
  add(given: string): void {
    const path = resolve(this.cwd, given)
    const stats = lstatSync(path, { throwIfNoEntry: false })
    if (!stats) throw new CliError(`cannot scan ${JSON.stringify(given)}: no such file or folder`)
    if (stats.isSymbolicLink()) {
      // A folder the user names is theirs to choose, even through a link; a linked file follows the usual rules.
      const target = statSync(path, { throwIfNoEntry: false })
      if (!target?.isDirectory()) {
        this.followLink(path, realpathSync(this.cwd), [])
        return
      }
    } else if (!stats.isDirectory()) {
      if (stats.isFile()) this.files.push({ path, real: realpathSync(path), viaLink: false })
      else this.skip(path, 'not_regular')
      return
    }
    const real = realpathSync(path)
    if (!this.#visited.has(real)) this.walk(path, real, real, enclosingRules(real))
  }
}

/**
 * Files under `paths`, honouring every `.gitignore` on the way (and those above, up to the enclosing
 * git work tree's top), skipping `.git/`. Never runs git or anything else. Symlinks are skipped
 * unless `followSymlinks`, and even then only followed to targets inside the folder being scanned.
 * FIFOs, sockets and devices are skipped.
 */
export function listFiles(paths: string[], cwd: string, options: ListOptions = {}): { files: ListedFile[]; skipped: Skipped[] } {
  const walker = new Walker(cwd, options.followSymlinks === true)
  for (const given of paths) walker.add(given)
  // Each file once, under its own name when it was also reached through a link.
  const byReal = new Map<string, ListedFile>()
  for (const file of walker.files) {
    const seen = byReal.get(file.real)
    if (!seen || (seen.viaLink && !file.viaLink)) byReal.set(file.real, file)
  }
  return { files: [...byReal.values()], skipped: walker.skipped }
}
