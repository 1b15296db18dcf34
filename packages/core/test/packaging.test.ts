import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url))

describe('built package', () => {
  it('has been built', () => {
    expect(existsSync(dist('index.js')) && existsSync(dist('index.cjs'))).toBe(true)
  })

  it('works through import and require on this Node', () => {
    const script = `
      const { createKeyward, MemoryKeyStore } = %LOAD%;
      const k = createKeyward({ prefix: 'acme', store: new MemoryKeyStore() });
      k.create({ name: 'pkg' }).then(async ({ key }) => {
        const r = await k.verify(key); await k.close();
        process.stdout.write(String(r.ok));
      });`
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', script.replace('%LOAD%', "await import('@keyward/core')")], { cwd: root })
    const cjs = execFileSync(process.execPath, ['-e', script.replace('%LOAD%', "require('@keyward/core')")], { cwd: root })
    expect(esm.toString()).toBe('true')
    expect(cjs.toString()).toBe('true')
  })

  it.each(['express', 'koa', 'fastify', 'sqlite', 'postgres', 'redis'])('@keyward/%s loads through import and require', (name) => {
    const cwd = fileURLToPath(new URL(`../../${name}/`, import.meta.url))
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import('@keyward/${name}'); process.stdout.write(Object.keys(m).sort().join(','))`], { cwd })
    const cjs = execFileSync(process.execPath, ['-e', `process.stdout.write(Object.keys(require('@keyward/${name}')).sort().join(','))`], { cwd })
    expect(esm.toString().length).toBeGreaterThan(0)
    expect(cjs.toString()).toBe(esm.toString())
  })

  it('bundles for a browser with no Node built-in', async () => {
    const result = await build({
      entryPoints: [dist('index.js')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
    })
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.some((p) => p.includes('@noble/hashes'))).toBe(true)
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
