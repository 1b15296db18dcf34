/**
 * Every ```ts block of every README compiles, strictly, against the package it documents, and the
 * blocks marked `<!-- snippet: run -->` (the line above the fence) run as written, exiting 0 with
 * nothing on stderr; `<!-- snippet: run, prints: hello -->` also says what it prints.
 *
 * A snippet is checked as a module of its README's package (written under that package's `.tmp/`),
 * so its imports resolve as a user's would, to that package and its dependencies. What a fragment
 * assumes without writing it (`app`, `keyward`, `store`, `session()`…) is declared by the prelude
 * of its package below: declared, never defined, so a snippet that runs must define what it uses.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const RUN_MARK = /^<!-- snippet: run(?:, prints: (.*))? -->$/

/** What any snippet may assume. */
const COMMON = `
declare const keyward: import('@keyward/core').Keyward<string>
declare const store: import('@keyward/core').KeyStore
declare const key: string
declare const OLD: string
declare const NEW: string
declare const createKeyward: typeof import('@keyward/core').createKeyward
/** The signed-in user of a request, from the app's own session handling. */
declare function session(request: unknown): Promise<{ userId: string; teamId: string } | null>
declare function notifyOwner(ownerId: string, message: string): Promise<void>
declare const audit: { write(event: import('@keyward/core').KeywardEvent): void }
declare const writeFileSync: typeof import('node:fs').writeFileSync
`

/** What snippets of a package's README may assume besides (by package folder). */
const PRELUDES: Record<string, string> = {
  'packages/core': `
declare const MemoryKeyStore: typeof import('@keyward/core').MemoryKeyStore
declare const req: { ip: string }
declare const MyStore: new (database: unknown) => import('@keyward/core').KeyStore
declare function freshDatabase(): Promise<unknown>
declare const Bun: { serve(options: { fetch(request: Request): Response | Promise<Response> }): unknown }
`,
  'packages/express': `
declare const app: import('express').Express
declare const apiKeyAuth: typeof import('@keyward/express').apiKeyAuth
declare const sendMessage: import('express').RequestHandler
`,
  'packages/koa': `
declare const app: import('koa')
declare const router: import('@koa/router').Router
declare const apiKeyAuth: typeof import('@keyward/koa').apiKeyAuth
`,
  'packages/fastify': `
declare const app: import('fastify').FastifyInstance
declare const Fastify: typeof import('fastify').default
declare const apiKeyAuth: typeof import('@keyward/fastify').apiKeyAuth
`,
  'packages/postgres': `
declare const pool: import('pg').Pool
declare const PostgresKeyStore: typeof import('@keyward/postgres').PostgresKeyStore
`,
  'packages/sqlite': `declare const SqliteKeyStore: typeof import('@keyward/sqlite').SqliteKeyStore\n`,
  'packages/hono': `
declare const app: import('hono').Hono<import('@keyward/hono').ApiKeyEnv>
declare const apiKeyAuth: typeof import('@keyward/hono').apiKeyAuth
`,
}

const hasTypeScript = (readme: string): boolean => {
  try {
    return /^\s*```(?:ts|typescript)$/m.test(readFileSync(join(ROOT, readme), 'utf8'))
  } catch {
    return false
  }
}

/**
 * Every README with TypeScript in it, by the package folder its snippets are checked in: its own,
 * and for the root README, Express's (the framework it shows).
 */
const CONTEXTS = new Map<string, string[]>([['packages/express', ['README.md']]])
for (const parent of ['packages', 'examples'])
  for (const folder of readdirSync(join(ROOT, parent)).map((name) => `${parent}/${name}`))
    if (hasTypeScript(`${folder}/README.md`)) CONTEXTS.set(folder, [...(CONTEXTS.get(folder) ?? []), `${folder}/README.md`])

interface Snippet {
  /** `packages/express/README.md:108` */
  where: string
  code: string
  /** Whether it runs; `{ prints }` when its output is given too. */
  run: false | { prints?: string }
  file: string
}

/** The ```ts blocks of a README, with the line each starts on; indented blocks (in a list) unindented. */
function snippetsOf(readme: string): Omit<Snippet, 'file'>[] {
  const text = readFileSync(join(ROOT, readme), 'utf8')
  const found: Omit<Snippet, 'file'>[] = []
  for (const match of text.matchAll(/^([ \t]*)```(?:ts|typescript)\n([\s\S]*?)^\1```/gm)) {
    const indent = match[1]!
    const before = text.slice(0, match.index)
    const mark = RUN_MARK.exec(before.trimEnd().split('\n').at(-1)!.trim())
    found.push({
      where: `${readme}:${before.split('\n').length}`,
      code: match[2]!
        .split('\n')
        .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
        .join('\n'),
      run: mark === null ? false : mark[1] === undefined ? {} : { prints: mark[1] },
    })
  }
  return found
}

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) {
    rmSync(dir, { recursive: true, force: true })
    // The package's `.tmp/` too, when nothing else is in it.
    if (dir.includes(`${sep}.tmp${sep}`) && readdirSync(dirname(dir)).length === 0) rmdirSync(dirname(dir))
  }
})

/** Writes the folder's snippets (as modules) and prelude under its `.tmp/`. */
function prepare(folder: string): { snippets: Snippet[]; prelude: string } {
  mkdirSync(join(ROOT, folder, '.tmp'), { recursive: true })
  const dir = mkdtempSync(join(ROOT, folder, '.tmp', 'readme-snippets-'))
  dirs.push(dir)
  const prelude = join(dir, 'prelude.d.ts')
  writeFileSync(prelude, COMMON + (PRELUDES[folder] ?? ''))
  const snippets = CONTEXTS.get(folder)!
    .flatMap(snippetsOf)
    .map((snippet, index) => {
      const file = join(dir, `snippet-${index}.ts`)
      // `export {}`: a module, so its top-level names shadow the prelude's rather than clash with them.
      writeFileSync(file, `${snippet.code}\nexport {}\n`)
      return { ...snippet, file }
    })
  return { snippets, prelude }
}

function compilerOptions(): ts.CompilerOptions {
  const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.base.json'), ts.sys.readFile)
  return { ...ts.parseJsonConfigFileContent(config, ts.sys, ROOT).options, noEmit: true, types: ['node'] }
}

/** Type errors per snippet, as `README:line: message` (the line within the README). */
function typeErrors(snippets: Snippet[], prelude: string): string[] {
  const program = ts.createProgram([prelude, ...snippets.map((s) => s.file)], compilerOptions())
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    const snippet = snippets.find((s) => s.file === diagnostic.file?.fileName)
    if (!snippet || diagnostic.start === undefined) return `${diagnostic.file ? relative(ROOT, diagnostic.file.fileName) : ''}: ${message}`
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start)
    const [readme, start] = snippet.where.split(':')
    return `${readme}:${Number(start) + 1 + line}: ${message}`
  })
}

const scratch = mkdtempSync(join(tmpdir(), 'keyward-readme-run-'))
dirs.push(scratch)

describe.each([...CONTEXTS.keys()])('README snippets checked in %s', (folder) => {
  const { snippets, prelude } = prepare(folder)

  it('compile strictly against the package', () => {
    expect(snippets.length).toBeGreaterThan(0)
    expect(typeErrors(snippets, prelude)).toEqual([])
  }, 60_000)

  const runnable = snippets.filter((snippet) => snippet.run)
  if (runnable.length > 0)
    it.each(runnable.map((snippet) => [snippet.where, snippet] as const))(
      '%s runs as written',
      (_where, snippet) => {
        // A folder of its own: a snippet may write files (a SQLite database) where it runs.
        const cwd = mkdtempSync(join(scratch, 'run-'))
        const result = spawnSync(process.execPath, [snippet.file], {
          cwd,
          encoding: 'utf8',
          timeout: 30_000,
          env: { ...process.env, KEYWARD_PEPPER: 'a-readme-pepper-of-at-least-32-bytes!' },
        })
        expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' })
        if (snippet.run && snippet.run.prints !== undefined) expect(result.stdout.trim()).toBe(snippet.run.prints)
      },
      60_000,
    )
})
