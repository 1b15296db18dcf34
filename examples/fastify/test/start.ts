import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Run the example's entry point on a free port (as `pnpm start` would) and read its keys and address. */
export async function startExample(entry: URL): Promise<{ base: string; keys: Record<string, string>; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(entry)], {
    cwd: fileURLToPath(new URL('..', entry)),
    env: { ...process.env, PORT: '0', KEYWARD_PEPPER: 'an-example-test-pepper-of-32-bytes!!' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`example did not start:\n${out}`)), 20_000)
      child.once('exit', (code) => reject(new Error(`example exited with ${code}:\n${out}`)))
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (/Listening on http:\/\/\S+\n/.test(out)) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
  } catch (error) {
    await stop()
    throw error
  }
  const keys: Record<string, string> = {}
  for (const [, scope, key] of out.matchAll(/^\s+(\S+:\S+)\s+(acme_live_\S+)$/gm)) keys[scope!] = key!
  return { base: out.match(/Listening on (http:\/\/\S+)/)![1]!, keys, stop }
}
