/**
 * Child processes of the bench scripts: TypeScript entry points forked under tsx, a `ready`
 * handshake over IPC, request/answer messages, and a stop that always ends (SIGTERM, then SIGKILL).
 * Every child forked here is tracked, so `stopAllChildren()` (also run on SIGINT/SIGTERM of the
 * parent) leaves none behind.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface Child<Ready> {
  name: string
  process: ChildProcess
  /** The payload of the child's first message (`{ type: 'ready', … }`). */
  ready: Ready
}

const live = new Set<ChildProcess>()
let nextRequestId = 1

/** Absolute path of `file` relative to the module whose `import.meta.url` is `base`. */
export const resolveFrom = (base: string, file: string) => fileURLToPath(new URL(file, base))

/**
 * Fork `file` under tsx and wait for its first message (its `ready`). Rejects (and kills the child)
 * when it exits first or does not answer within `readyTimeoutMs`. With `execPath` the child runs
 * under that runtime instead (Bun: it loads TypeScript itself and speaks Node's IPC), without tsx.
 */
export function forkTs<Ready>(
  name: string,
  file: string,
  args: string[],
  options: { execArgv?: string[]; readyTimeoutMs?: number; env?: NodeJS.ProcessEnv; execPath?: string } = {},
): Promise<Child<Ready>> {
  const child = fork(file, args, {
    execArgv: options.execPath === undefined ? ['--import', 'tsx', ...(options.execArgv ?? [])] : (options.execArgv ?? []),
    ...(options.execPath !== undefined && { execPath: options.execPath }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(options.env && { env: options.env }),
  })
  live.add(child)
  child.once('exit', () => live.delete(child))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      void stopChild(child)
      reject(new Error(`${name}: no ready message within ${options.readyTimeoutMs ?? 60_000} ms`))
    }, options.readyTimeoutMs ?? 60_000)
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup()
      reject(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})`))
    }
    const onMessage = (message: Ready) => {
      cleanup()
      resolve({ name, process: child, ready: message })
    }
    const cleanup = () => {
      clearTimeout(timer)
      child.off('exit', onExit)
      child.off('message', onMessage)
    }
    child.once('exit', onExit)
    child.once('message', onMessage)
  })
}

/**
 * Send `{ ...message, requestId }` and wait for the child's message carrying the same `requestId`.
 * The child answers with {@link answerRequests}.
 */
export function ask<T>(child: ChildProcess, message: { type: string } & Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
  const requestId = nextRequestId++
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`no answer to ${message.type} within ${timeoutMs} ms`))
    }, timeoutMs)
    const onMessage = (answer: { requestId?: number }) => {
      if (answer?.requestId !== requestId) return
      cleanup()
      resolve(answer as T)
    }
    const onExit = () => {
      cleanup()
      reject(new Error(`child exited before answering ${message.type}`))
    }
    const cleanup = () => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
    child.send({ ...message, requestId })
  })
}

/** In a child: answer `ask()` requests with `handler`'s result (plus the request's `requestId`). */
export function answerRequests(
  handler: (message: { type: string } & Record<string, unknown>) => Promise<object> | object | undefined,
): void {
  process.on('message', (message: { type: string; requestId?: number } & Record<string, unknown>) => {
    void (async () => {
      let answer: object | undefined
      try {
        answer = await handler(message)
      } catch (error) {
        answer = { type: 'error', message: error instanceof Error ? error.message : String(error) }
      }
      if (answer !== undefined && process.connected) process.send!({ ...answer, requestId: message.requestId })
    })()
  })
}

/** Stop one child: SIGTERM, then SIGKILL after `graceMs`. Resolves once it has exited. */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(killer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/** Stop every child forked through {@link forkTs} that is still running. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((child) => stopChild(child)))
}

/**
 * Run `cleanup` when the parent is interrupted (SIGINT/SIGTERM), then exit with 130/143. Children
 * are stopped too. Call once per script.
 */
export function cleanupOnSignal(cleanup: () => Promise<void>): void {
  let running = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      if (running) return
      running = true
      process.stderr.write(`\n${signal}: stopping children and private servers…\n`)
      const hardStop = setTimeout(() => process.exit(1), 30_000)
      hardStop.unref()
      void Promise.allSettled([stopAllChildren(), cleanup()]).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
    })
}

/** In a child: exit cleanly on SIGTERM or when the parent goes away, after `close`. */
export function exitWithParent(close: () => Promise<void>): void {
  let closing = false
  const stop = () => {
    if (closing) return
    closing = true
    const hardStop = setTimeout(() => process.exit(0), 5_000)
    hardStop.unref()
    void close().finally(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  process.once('disconnect', stop)
}
