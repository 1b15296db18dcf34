/**
 * What a team does: install the published packages with npm — the `npm install` lines of every
 * package README, nothing else of ours — into an outside TypeScript app, compile it strictly, and
 * call it over HTTP. The packages are built and packed (`pnpm pack`, as `pnpm publish` would) into a
 * scratch directory; npm fetches everything else from the registry (its cache makes a rerun quick).
 */
import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPackages, plainEnv } from '../build-packages.js'
import { appSource } from './app-source.js'

const run = promisify(execFile)
const workspace = new URL('../../', import.meta.url).pathname
const PACKAGES = ['core', 'express', 'koa', 'fastify', 'sqlite', 'postgres', 'redis', 'cli'] as const
const PEPPER = 'an-install-test-pepper-of-32-bytes!!'
const scratch = mkdtempSync(join(tmpdir(), 'keyward-install-'))
const tarballs: Record<string, string> = {}

/** better-sqlite3 compiles from source where no prebuilt binary can be fetched; node-gyp uses this Node's own headers. */
const npmEnv = { ...plainEnv(), npm_config_nodedir: join(process.execPath, '../..'), npm_config_update_notifier: 'false' }
const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd, env: npmEnv, timeout: 600_000 })

/** The names each README's "Install" section passes to `npm install` (with or without -D). */
export function readmeInstallNames(readme: string): string[] {
  const section = /^## Install\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? ''
  return [...section.matchAll(/^npm install (.+)$/gm)].flatMap(([, args]) => args!.split(/\s+/).filter((a) => !a.startsWith('-')))
}

/** `npm install` in `dir` of `names`, our packages taken from the packed tarballs. */
async function install(dir: string, names: string[]): Promise<void> {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }))
  const specs = [...new Set(names)].map((name) => tarballs[name] ?? name)
  // --ignore-scripts: better-sqlite3's compile (minutes) is replaced below by this checkout's binary when the versions match.
  await npm(['install', '--ignore-scripts', ...specs], dir)
  const sqlite = join(dir, 'node_modules/better-sqlite3')
  if (!existsSync(sqlite)) return
  const local = join(workspace, 'packages/sqlite/node_modules/better-sqlite3')
  const version = (path: string) => (JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as { version: string }).version
  if (version(sqlite) === version(local)) {
    mkdirSync(join(sqlite, 'build/Release'), { recursive: true })
    copyFileSync(join(local, 'build/Release/better_sqlite3.node'), join(sqlite, 'build/Release/better_sqlite3.node'))
  } else await npm(['rebuild', 'better-sqlite3'], dir)
}

/** Write the app (ESM and CommonJS), compile it with tsc (strict, no skipLibCheck), run both. */
async function compileAndRun(dir: string, stores: Parameters<typeof appSource>[0], env: Record<string, string>) {
  mkdirSync(join(dir, 'src'), { recursive: true })
  writeFileSync(join(dir, 'src/esm.ts'), appSource(stores))
  writeFileSync(join(dir, 'src/cjs.cts'), appSource(stores))
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        skipLibCheck: false,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        outDir: 'dist',
        types: ['node'],
      },
      include: ['src'],
    }),
  )
  const tsc = await run(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: dir, env: plainEnv() }).catch(
    (error: { stdout: string }) => error,
  )
  expect(ownTypeErrors(tsc.stdout)).toEqual([])
  const answers = []
  for (const entry of ['dist/esm.js', 'dist/cjs.cjs']) {
    const { stdout } = await run(process.execPath, [entry], {
      cwd: dir,
      env: { ...plainEnv(), KEYWARD_PEPPER: PEPPER, ...env },
      timeout: 60_000,
    })
    answers.push(JSON.parse(stdout))
  }
  return answers
}

/**
 * tsc's errors in the app and in our packages' declarations. Another package's own declarations are
 * not ours to judge (today `@types/koa` names a `content-disposition` type that the package's
 * bundled types no longer have, whatever Keyward does); the app is compiled without skipLibCheck, so
 * every one of ours is checked.
 */
function ownTypeErrors(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => /error TS\d+/.test(line) && (!line.startsWith('node_modules/') || line.startsWith('node_modules/@keyward/')))
}

beforeAll(async () => {
  await buildPackages(PACKAGES)
  const packed = join(scratch, 'tarballs')
  mkdirSync(packed)
  for (const name of PACKAGES) {
    await run('pnpm', ['pack', '--pack-destination', packed], { cwd: join(workspace, 'packages', name), env: plainEnv() })
    tarballs[`@keyward/${name}`] = join(packed, readdirSync(packed).find((f) => f.startsWith(`keyward-${name}-`))!)
  }
}, 600_000)

// KEYWARD_KEEP_SCRATCH=1 keeps the scratch apps for a look afterwards.
afterAll(() => {
  if (!process.env.KEYWARD_KEEP_SCRATCH) rmSync(scratch, { recursive: true, force: true })
})

/** Both module systems answered the same: 200 with the key's name, 401 anonymous, 202 with a scope (Express) or not asked. */
const served = (stores: string[]) =>
  Object.fromEntries(stores.map((store) => [store, { express: [200, 1, 401, 403], koa: [200, 1, 401, 403], fastify: [200, 1, 401, 403] }]))

describe('installed with npm from the packed packages, as the READMEs say', () => {
  const app = join(scratch, 'app')
  const readmeNames = PACKAGES.flatMap((name) => readmeInstallNames(readFileSync(join(workspace, 'packages', name, 'README.md'), 'utf8')))

  it('every package README has an Install section with an npm install line', () => {
    for (const name of PACKAGES)
      expect(readmeInstallNames(readFileSync(join(workspace, 'packages', name, 'README.md'), 'utf8')), name).toContain(`@keyward/${name}`)
  })

  it('every packed package carries the MIT LICENSE', async () => {
    for (const name of PACKAGES) {
      const { stdout } = await run('tar', ['-xzOf', tarballs[`@keyward/${name}`]!, 'package/LICENSE'])
      expect(stdout, name).toMatch(/^MIT License\n/)
    }
  })

  it('installs (one npm install, which finishes), compiles strictly as ESM and CommonJS without @types for the drivers, and serves Express, Koa and Fastify on SQLite, PostgreSQL and Redis', async () => {
    await install(app, [...readmeNames, 'typescript@5.9.3', '@types/node@20'])
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
    expect(Object.keys(manifest.dependencies)).not.toContain('@types/better-sqlite3')
    expect(Object.keys(manifest.dependencies)).not.toContain('@types/pg')
    const namespace = `install_${process.pid}_${Date.now()}`
    const answers = await compileAndRun(app, ['sqlite', 'postgres', 'redis'], {
      SQLITE_FILE: join(app, 'keys.db'),
      PG_URL: process.env.KEYWARD_TEST_PG_URL!,
      REDIS_URL: process.env.KEYWARD_TEST_REDIS_URL!,
      NAMESPACE: namespace,
    })
    expect(answers).toEqual([served(['sqlite', 'postgres', 'redis']), served(['sqlite', 'postgres', 'redis'])])
  }, 600_000)

  it('the installed keyward command reads the SQLite file the app wrote', async () => {
    const { stdout } = await run(
      join(app, 'node_modules/.bin/keyward'),
      ['list', '--json', '--store', `sqlite:${join(app, 'keys.db')}`, '--prefix', 'acme_live'],
      {
        cwd: app,
        env: { ...plainEnv(), KEYWARD_PEPPER: PEPPER },
      },
    )
    expect(stdout).toContain('Installed')
  })

  it('the CLI for PostgreSQL installs no SQLite driver, and asks for it in one line when a sqlite: store is used', async () => {
    const cliOnly = join(scratch, 'cli-postgres')
    await install(cliOnly, ['@keyward/cli', '@keyward/core', '@keyward/postgres', 'pg'])
    expect(existsSync(join(cliOnly, 'node_modules/better-sqlite3'))).toBe(false)
    expect(existsSync(join(cliOnly, 'node_modules/ioredis'))).toBe(false)
    const refused = await run(join(cliOnly, 'node_modules/.bin/keyward'), ['list', '--store', 'sqlite:./k.db', '--prefix', 'acme_live'], {
      cwd: cliOnly,
      env: { ...plainEnv(), KEYWARD_PEPPER: PEPPER },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    )
    expect([refused.code, refused.stderr.trim().split('\n')]).toEqual([
      2,
      [expect.stringContaining('install @keyward/sqlite and better-sqlite3 to use sqlite: stores (npm i @keyward/sqlite better-sqlite3)')],
    ])
    expect(existsSync(join(cliOnly, 'k.db'))).toBe(false)
  }, 300_000)

  it('compiles strictly and serves on the older majors: Express 4, Koa 2 and Fastify 4 with their own types', async () => {
    const older = join(scratch, 'older-majors')
    await install(older, [
      '@keyward/core',
      '@keyward/express',
      '@keyward/koa',
      '@keyward/fastify',
      'express@4',
      '@types/express@4',
      'koa@2',
      '@types/koa@2',
      'fastify@4',
      'typescript@5.9.3',
      '@types/node@20',
    ])
    expect(await compileAndRun(older, ['memory'], {})).toEqual([served(['memory']), served(['memory'])])
  }, 300_000)
})
