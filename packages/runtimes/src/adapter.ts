/**
 * The test-process side of the conformance bridge: a control server the runtime calls back (Keyward
 * calls, hooks, the probe, console lines), and for each app the suite starts a loopback proxy port
 * that passes the client's bytes through untouched except for one added `x-keyward-app` header line.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Keyward } from '@keyward/core'
import type { ConformanceAdapter, ConformanceServer } from '@keyward/core/testing'
import { codec } from './codec.js'
import { BUN, bundle, DENO, denoEnv } from './runtimes.js'

export type RuntimeName = 'bun' | 'deno' | 'workerd'

export interface RuntimeAdapter extends ConformanceAdapter {
  /** Start the runtime (once per test file, in `beforeAll`). */
  boot(): Promise<void>
  /** Stop it, and every proxy. */
  shutdown(): Promise<void>
}

const ENTRIES: Record<RuntimeName, string> = {
  bun: fileURLToPath(new URL('./server/bun.ts', import.meta.url)),
  deno: fileURLToPath(new URL('./server/deno.ts', import.meta.url)),
  workerd: fileURLToPath(new URL('./server/worker.ts', import.meta.url)),
}

function listening(server: ReturnType<typeof createTcpServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
}

/** Resolves with the port a child prints as `PORT <n>`; rejects with its output if it exits first. */
function printedPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /PORT (\d+)/.exec(output)
      if (match) resolve(Number(match[1]))
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()))
    child.once('exit', (code) => reject(new Error(`the runtime exited (${code}) before listening:\n${output.slice(0, 2000)}`)))
  })
}

/** An adapter whose apps run in `runtime`. */
export function runtimeAdapter(runtime: RuntimeName): RuntimeAdapter {
  const functions = new Map<number, (...args: unknown[]) => unknown>()
  const keywards = new Map<Keyward<string>, number>()
  const keywardsById = new Map<number, Keyward<string>>()
  const probes = new Map<number, { handled: string[] }>()
  let nextId = 1
  const wire = codec(
    (fn) => {
      const id = nextId++
      functions.set(id, fn)
      return id
    },
    () => {
      throw new TypeError('the runtime sends no functions')
    },
  )
  const proxies = new Set<ReturnType<typeof createTcpServer>>()
  let dir = ''
  let runtimePort = 0
  let child: ChildProcess | undefined
  let miniflare: { dispose(): Promise<void> } | undefined

  /** One message from the runtime. */
  async function answer(text: string): Promise<string> {
    const message = wire.decode(text) as Record<string, unknown>
    try {
      let ok: unknown
      if (typeof message.keyward === 'number') {
        const keyward = keywardsById.get(message.keyward) as unknown as Record<string, (...args: unknown[]) => unknown>
        const [head, tail] = (message.method as string).split('.') as [string, string | undefined]
        const target = tail === undefined ? keyward : (keyward[head] as unknown as Record<string, (...args: unknown[]) => unknown>)
        ok = await target[tail ?? head]!(...(message.args as unknown[]))
      } else if (typeof message.fn === 'number') ok = await functions.get(message.fn)!(...(message.args as unknown[]))
      else if (typeof message.log === 'string') console[message.log as 'warn'](message.line)
      else if (typeof message.probe === 'number') probes.get(message.probe)!.handled.push(message.route as string)
      return wire.encode(ok)
    } catch (error) {
      return wire.encode({ $rpcError: error })
    }
  }

  function keywardRef(keyward: Keyward<string>): unknown {
    if (keyward === null || typeof keyward !== 'object' || typeof keyward.verify !== 'function') return {}
    let id = keywards.get(keyward)
    if (id === undefined) {
      id = nextId++
      keywards.set(keyward, id)
      keywardsById.set(id, keyward)
    }
    return { $keyward: id, prefix: keyward.prefix }
  }

  /** Ask the runtime to build an app, then give it a port of its own. */
  async function create(spec: Record<string, unknown>): Promise<ConformanceServer> {
    const response = await fetch(`http://127.0.0.1:${runtimePort}/`, {
      method: 'POST',
      headers: { 'x-keyward-control': 'create' },
      body: wire.encode(spec),
    })
    const created = (await response.json()) as { id?: string; error?: { name: string; message: string } }
    if (created.error)
      throw Object.assign(created.error.name === 'TypeError' ? new TypeError(created.error.message) : new Error(created.error.message))
    const proxy = createTcpServer((client) => pipe(client, created.id!))
    proxies.add(proxy)
    const port = await listening(proxy)
    return {
      port,
      close: () =>
        new Promise<void>((resolve) => {
          proxies.delete(proxy)
          proxy.close(() => resolve())
        }),
    }
  }

  // workerd keeps a connection open after answering a request that said `Connection: close`; the
  // suite's client reads until the server closes, so there the proxy closes after one whole response.
  const closeAfterResponse = runtime === 'workerd'

  /** Pass one client connection to the runtime, with `x-keyward-app` added after the request line. */
  function pipe(client: Socket, app: string): void {
    const upstream = connect(runtimePort, '127.0.0.1')
    let head: Buffer | null = Buffer.alloc(0)
    let method = ''
    client.on('data', (chunk: Buffer) => {
      if (head === null) return void upstream.write(chunk)
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n')
      if (end < 0) return
      method = head.subarray(0, head.indexOf(' ')).toString('latin1')
      upstream.write(Buffer.concat([head.subarray(0, end + 2), Buffer.from(`x-keyward-app: ${app}\r\n`), head.subarray(end + 2)]))
      head = null
    })
    const done = closeAfterResponse ? responseEnd() : undefined
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk)
      if (done?.(chunk, method)) client.end()
    })
    upstream.on('end', () => client.end())
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
    client.on('close', () => upstream.destroy())
  }

  /** Answer the child's `RPC <n> <text>` lines on its stdin. */
  function serveLines(running: ChildProcess): void {
    let buffered = ''
    running.stdout!.setEncoding('utf8')
    running.stdout!.on('data', (chunk: string) => {
      buffered += chunk
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const line = buffered.slice(0, end)
        buffered = buffered.slice(end + 1)
        if (!line.startsWith('RPC ')) continue
        const space = line.indexOf(' ', 4)
        void answer(line.slice(space + 1)).then((text) => running.stdin!.write(`${line.slice(4, space)} ${text}\n`))
      }
    })
  }

  return {
    name: `withApiKey (${runtime})`,
    connect,
    async boot() {
      dir = mkdtempSync(join(tmpdir(), `keyward-${runtime}-`))
      const script = join(dir, 'server.mjs')
      await bundle(ENTRIES[runtime], script)
      if (runtime === 'workerd') {
        // miniflare wants its own Response class back from a Node service binding.
        const { Miniflare, Response: MiniflareResponse } = await import('miniflare')
        const mf = new Miniflare({
          modules: true,
          script: readFileSync(script, 'utf8'),
          cf: false,
          compatibilityDate: '2025-07-01',
          host: '127.0.0.1',
          port: 0,
          serviceBindings: { NODE: async (request) => new MiniflareResponse(await answer(await request.text())) },
        } as ConstructorParameters<typeof Miniflare>[0])
        miniflare = mf
        runtimePort = Number((await mf.ready).port)
        return
      }
      const args = runtime === 'bun' ? ['--max-http-header-size=65536', script] : ['run', '--allow-net', script]
      child = spawn(runtime === 'bun' ? BUN : DENO, args, {
        env: runtime === 'bun' ? { ...process.env, NODE_OPTIONS: '' } : denoEnv(dir),
        stdio: ['pipe', 'pipe', 'pipe'],
      })
      serveLines(child)
      runtimePort = await printedPort(child)
    },
    async shutdown() {
      for (const proxy of proxies) proxy.close()
      child?.kill()
      await miniflare?.dispose()
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
    async start(keyward, options, probe, proxy = 'none') {
      const probeId = nextId++
      probes.set(probeId, probe)
      return create({ kind: 'auth', keyward: keywardRef(keyward), options, probe: probeId, proxy })
    },
    startManagement: (keyward, options) => create({ kind: 'management', keyward: keywardRef(keyward), options }),
    startSecretScanning: (keyward, options) => create({ kind: 'secret-scanning', keyward: keywardRef(keyward), options }),
  }
}

/**
 * Tracks one HTTP/1.1 response as its bytes arrive; true once it is complete (its head for HEAD,
 * 204 and 304, then `Content-Length` bytes or the last chunk of a chunked body).
 */
function responseEnd(): (chunk: Buffer, method: string) => boolean {
  let seen = Buffer.alloc(0)
  return (chunk, method) => {
    seen = Buffer.concat([seen, chunk])
    const headEnd = seen.indexOf('\r\n\r\n')
    if (headEnd < 0) return false
    const head = seen.subarray(0, headEnd).toString('latin1')
    const status = Number(head.split(' ')[1])
    if (method === 'HEAD' || status === 204 || status === 304) return true
    const body = seen.subarray(headEnd + 4)
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
    if (length) return body.length >= Number(length[1])
    if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return body.includes('0\r\n\r\n') && body.subarray(-5).toString() === '0\r\n\r\n'
    return false
  }
}
