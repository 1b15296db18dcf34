import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildPackages } from '../../../test/build-packages.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url))
/** Node as an application runs it: no source condition, no tsx — only what was built. */
const { NODE_OPTIONS: _sourceOptions, ...plainEnv } = process.env
const node = (args: string[], cwd: string) => execFileSync(process.execPath, args, { cwd, env: plainEnv })

// Every other test runs on sources; this file checks what is published, so it builds first (one
// build at a time with test/install, which also packs the built packages).
beforeAll(() => buildPackages(), 300_000)

describe('built package', () => {
  it('has been built, every entry for import and require (testing: import only)', () => {
    for (const entry of ['index', 'http', 'store', 'secret-scanning', 'slow-hashes'])
      expect(existsSync(dist(`${entry}.js`)) && existsSync(dist(`${entry}.cjs`)), entry).toBe(true)
    expect(existsSync(dist('testing.js'))).toBe(true)
  })

  it('works through import and require on this Node', () => {
    const script = `
      const { createKeyward, MemoryKeyStore } = %LOAD%;
      const k = createKeyward({ prefix: 'acme', store: new MemoryKeyStore() });
      k.create({ name: 'pkg' }).then(async ({ key }) => {
        const r = await k.verify(key); await k.close();
        process.stdout.write(String(r.ok));
      });`
    const esm = node(['--input-type=module', '-e', script.replace('%LOAD%', "await import('@keyward/core')")], root)
    const cjs = node(['-e', script.replace('%LOAD%', "require('@keyward/core')")], root)
    expect(esm.toString()).toBe('true')
    expect(cjs.toString()).toBe('true')
  })

  it('hands out one copy of each error class across its entries, through import and through require', () => {
    const same = `a.StoreUnavailableError === b.StoreUnavailableError && a.ClosedError === b.ClosedError && a.KeywardError === b.KeywardError`
    const esm = node(
      [
        '--input-type=module',
        '-e',
        `const a = await import('@keyward/core'); const b = await import('@keyward/core/store'); process.stdout.write(String(${same}))`,
      ],
      root,
    )
    const cjs = node(
      ['-e', `const a = require('@keyward/core'); const b = require('@keyward/core/store'); process.stdout.write(String(${same}))`],
      root,
    )
    expect([esm.toString(), cjs.toString()]).toEqual(['true', 'true'])
  })

  it.each(['http', 'store', 'secret-scanning', 'slow-hashes'])('@keyward/core/%s loads through import and require', (entry) => {
    const esm = node(
      [
        '--input-type=module',
        '-e',
        `const m = await import('@keyward/core/${entry}'); process.stdout.write(Object.keys(m).sort().join(','))`,
      ],
      root,
    )
    const cjs = node(['-e', `process.stdout.write(Object.keys(require('@keyward/core/${entry}')).sort().join(','))`], root)
    expect(esm.toString().length).toBeGreaterThan(0)
    expect(cjs.toString()).toBe(esm.toString())
  })

  it.each(['express', 'koa', 'fastify', 'sqlite', 'postgres', 'redis', 'webhooks'])(
    '@keyward/%s loads through import and require',
    (name) => {
      const cwd = fileURLToPath(new URL(`../../${name}/`, import.meta.url))
      const esm = node(
        ['--input-type=module', '-e', `const m = await import('@keyward/${name}'); process.stdout.write(Object.keys(m).sort().join(','))`],
        cwd,
      )
      const cjs = node(['-e', `process.stdout.write(Object.keys(require('@keyward/${name}')).sort().join(','))`], cwd)
      expect(esm.toString().length).toBeGreaterThan(0)
      expect(cjs.toString()).toBe(esm.toString())
    },
  )

  it.each(['index', 'http', 'store', 'secret-scanning'])('bundles %s for a browser with no Node built-in', async (entry) => {
    const result = await build({
      entryPoints: [dist(`${entry}.js`)],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
    })
    const inputs = Object.keys(result.metafile.inputs)
    if (entry === 'index') expect(inputs.some((p) => p.includes('@noble/hashes'))).toBe(true)
    for (const input of inputs) expect(input).not.toMatch(/^node:|^(crypto|fs|path|buffer|util|stream)$/)
    const code = result.outputFiles[0]!.text
    expect(code).not.toMatch(/\bfrom\s*["'](node:)?(crypto|fs|path|buffer|util|stream|zlib)["']/)
    expect(code).not.toMatch(/require\(["'](node:)?[a-z_]+["']\)/)
  })

  it('declares @noble/hashes as its only dependency', async () => {
    const pkg = (await import('../package.json', { with: { type: 'json' } })).default as { dependencies: Record<string, string> }
    expect(Object.keys(pkg.dependencies)).toEqual(['@noble/hashes'])
  })

  it('imports no node: module in its sources', () => {
    const src = fileURLToPath(new URL('../src', import.meta.url))
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))
    expect(files.length).toBeGreaterThan(10)
    for (const file of files) expect(readFileSync(join(src, file), 'utf8')).not.toMatch(/from ['"]node:|\brequire\(['"]/)
  })
})
