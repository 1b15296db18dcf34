import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DENO, denoEnv } from '@keyward/runtime-tests'
import { expect, it } from 'vitest'

// The example under Deno (npm @deno/linux-x64-glibc) with only the permissions its README names.
// It runs the workspace's TypeScript sources: `--conditions=@keyward/source` picks them, and
// `--sloppy-imports` lets their `.js` import specifiers find the `.ts` files (a user imports the build).
it('runs on Deno: the key it made opens /v1/me, anything else gets the shared refusals', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-deno-example-'))
  const child = spawn(
    DENO,
    ['run', '--sloppy-imports', '--conditions=@keyward/source', '--allow-net', '--allow-env=KEYWARD_PEPPER,PORT', 'src/main.ts'],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...denoEnv(dir), PORT: '0', KEYWARD_PEPPER: 'a-deno-example-test-pepper-of-32-bytes!' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  try {
    let out = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Deno did not start:\n${out}`)), 25_000)
      child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()))
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (/Listening on http:\/\/\S+\n/.test(out)) resolve(clearTimeout(timer))
      })
      child.once('exit', (code) => reject(new Error(`Deno exited with ${code}:\n${out}`)))
    })
    const base = out.match(/Listening on (http:\/\/\S+)/)![1]!
    const key = out.match(/Key \(shown once\): (\S+)/)![1]!
    const me = await fetch(`${base}/v1/me`, { headers: { 'x-api-key': key } })
    expect([me.status, await me.json()]).toEqual([200, { id: key.split('_')[2], name: 'Deno client' }])
    const wrong = await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${key.slice(0, -1)}x` } })
    expect([wrong.status, wrong.headers.get('www-authenticate'), (await wrong.json()).code]).toEqual([
      401,
      'Bearer realm="api", error="invalid_token"',
      'malformed',
    ])
  } finally {
    child.kill()
    rmSync(dir, { recursive: true, force: true })
  }
})
