/**
 * Parent side of the multi-instance tests: spawn Keyward instances in separate processes (see
 * instance-runner.mjs) and prove that a change through one reaches the other's cache in time.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterAll, expect, it } from 'vitest'

export interface InstanceConfig {
  /** Passed to the fixture, which builds its store from it. */
  store: unknown
  /** Give the instance the store's `subscribe` (default true). */
  subscribe?: boolean
  cache?: false | { ttlMs?: number }
}

export interface Instance {
  call<T = unknown>(op: string, ...args: unknown[]): Promise<T>
  close(): Promise<void>
  readonly child: ChildProcess
}

interface Reply {
  n?: number
  ready?: boolean
  result?: unknown
  error?: { code: string; message: string }
}

/** Start `fixture` (an .mjs that calls `serve`) with `config`; resolves once it is ready. */
export async function spawnInstance(fixture: string, config: InstanceConfig): Promise<Instance> {
  const child = spawn(process.execPath, [fixture], {
    env: { ...process.env, KEYWARD_INSTANCE: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let n = 0
  let onReady!: () => void
  let onFail!: (e: Error) => void
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve
    onFail = reject
  })
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const reply = JSON.parse(line) as Reply
    if (reply.ready) return onReady()
    const waiter = pending.get(reply.n!)
    pending.delete(reply.n!)
    if (reply.error) waiter?.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }))
    else waiter?.resolve(reply.result)
  })
  child.once('exit', (code) => {
    const error = new Error(`instance exited with code ${code}`)
    onFail(error)
    for (const waiter of pending.values()) waiter.reject(error)
    pending.clear()
  })
  const timer = setTimeout(() => onFail(new Error('instance did not start within 15 s')), 15_000)
  await ready.finally(() => clearTimeout(timer))
  const instance: Instance = {
    child,
    call: <T>(op: string, ...args: unknown[]) =>
      new Promise<T>((resolve, reject) => {
        const id = ++n
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        child.stdin!.write(`${JSON.stringify({ n: id, op, args })}\n`)
      }),
    close: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      await instance.call('close').catch(() => undefined)
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
      await exited
      clearTimeout(timer)
    },
  }
  return instance
}

type Verdict = { ok: boolean; code?: string }

/** Poll `instance.verify(key)` until it fails; resolves with the failure and how long it took. */
export async function untilRejected(instance: Instance, key: string, limitMs: number): Promise<{ verdict: Verdict; ms: number }> {
  const start = performance.now()
  for (;;) {
    const verdict = await instance.call<Verdict>('verify', key)
    const ms = performance.now() - start
    if (!verdict.ok || ms > limitMs) return { verdict, ms }
    await new Promise((r) => setTimeout(r, 20))
  }
}

/**
 * Register the multi-instance tests for a store: `fixture` builds the store from `config().store`
 * in a child process; every call of `config` must name the same data (database, file or prefix).
 */
export function multiInstanceTests(fixture: string, config: () => unknown): void {
  const started: Instance[] = []
  const start = async (extra: Omit<InstanceConfig, 'store'> = {}) => {
    const instance = await spawnInstance(fixture, { store: config(), ...extra })
    started.push(instance)
    return instance
  }
  afterAll(async () => {
    await Promise.all(started.map((i) => i.close()))
  })

  it('a key revoked, disabled or rotated through one instance is refused by another within 1 s, both caching', async () => {
    const [a, b] = await Promise.all([start(), start()])
    for (const [action, code] of [
      ['revoke', 'revoked'],
      ['disable', 'disabled'],
      ['rotate', 'expired'],
    ] as const) {
      const { key, id } = await a.call<{ key: string; id: string }>('create')
      expect(await b.call('verify', key)).toEqual({ ok: true }) // now cached in b
      expect(await a.call('verify', key)).toEqual({ ok: true })
      const successor = await a.call<{ key: string } | string>(action, id)
      expect(await a.call('verify', key)).toEqual({ ok: false, code })
      const { verdict, ms } = await untilRejected(b, key, 3_000)
      expect(verdict, `${action}: still accepted after ${Math.round(ms)} ms`).toEqual({ ok: false, code })
      expect(ms, `${action} reached the other instance after ${Math.round(ms)} ms`).toBeLessThan(1_000)
      if (action === 'rotate') expect(await b.call('verify', (successor as { key: string }).key)).toEqual({ ok: true })
    }
  }, 30_000)

  it('without subscribe, the cache TTL bounds how long another instance accepts a revoked key', async () => {
    const ttlMs = 1_200
    const [a, b] = await Promise.all([start({ subscribe: false, cache: { ttlMs } }), start({ subscribe: false, cache: { ttlMs } })])
    const { key, id } = await a.call<{ key: string; id: string }>('create')
    expect(await b.call('verify', key)).toEqual({ ok: true })
    const cachedAt = performance.now()
    await a.call('revoke', id)
    // b still trusts its cached record: nothing told it.
    expect(await b.call('verify', key)).toEqual({ ok: true })
    const { verdict } = await untilRejected(b, key, ttlMs + 2_000)
    const sinceCached = performance.now() - cachedAt
    expect(verdict).toEqual({ ok: false, code: 'revoked' })
    expect(sinceCached).toBeLessThan(ttlMs + 500)
  }, 20_000)
}
