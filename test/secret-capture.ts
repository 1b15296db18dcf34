/**
 * Runs around every test file of every project (vitest `setupFiles`): the whole suite becomes a check
 * that no secret escapes. It wires a capturing debug logger into every Keyward instance, captures
 * console output, stdout/stderr and every HTTP response (status line headers and body) the process
 * writes, records every key minted and every digest stored, and after the file fails if any key,
 * any 8-character fragment of a secret, any digest or any test pepper appears in what was captured.
 *
 * The one place a key may appear is the body of a create or rotate response (`{ key, info }`),
 * which is how a key is shown once.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { ServerResponse } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'
// The copy of core the tests use: its TypeScript source, through the `@keyward/source` condition.
import { KeyFormat, MemoryKeyStore, setDefaultLogger } from '@keyward/core'

const captured: string[] = []
const keys = new Set<string>()
const digests = new Set<string>()

// 1. A debug logger on every instance.
setDefaultLogger((entry) => captured.push(`${entry.level} ${entry.message} ${JSON.stringify(entry.fields)}`))

// 2. Every key minted and every digest stored.
const generate = KeyFormat.prototype.generate
KeyFormat.prototype.generate = function (this: KeyFormat, ...args: Parameters<typeof generate>) {
  const minted = generate.apply(this, args)
  keys.add(minted.key)
  return minted
}
const insert = MemoryKeyStore.prototype.insert
MemoryKeyStore.prototype.insert = function (this: MemoryKeyStore, ...args: Parameters<typeof insert>) {
  digests.add(args[0].digest)
  return insert.apply(this, args)
}

// 3. Console, stdout and stderr (still printed), and every HTTP response written in this process.
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console)
  console[method] = (...args: unknown[]) => {
    captured.push(args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? `${a.message}\n${a.stack}` : safeJson(a))).join(' '))
    original(...args)
  }
}
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'))
    return write(chunk, ...rest)
  }) as typeof stream.write
}
const bodies = new WeakMap<ServerResponse, Buffer[]>()
const { write: resWrite, end: resEnd } = ServerResponse.prototype
ServerResponse.prototype.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
  remember(this, chunk)
  return (resWrite as (...a: unknown[]) => boolean).call(this, chunk, ...rest)
} as typeof resWrite
ServerResponse.prototype.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
  if (typeof chunk !== 'function') remember(this, chunk)
  const body = Buffer.concat(bodies.get(this) ?? []).toString('utf8')
  captured.push(`${JSON.stringify(this.getHeaders())}\n${withoutShownKey(body)}`)
  return (resEnd as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest)
} as typeof resEnd

function remember(res: ServerResponse, chunk: unknown): void {
  if (chunk === undefined || chunk === null) return
  const list = bodies.get(res) ?? []
  list.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array))
  bodies.set(res, list)
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** A create or rotate response shows its new key once: that `key` field is allowed. */
function withoutShownKey(body: string): string {
  if (!body.startsWith('{') || !body.includes('"info"')) return body
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>
    if (typeof parsed.key === 'string' && parsed.info && typeof parsed.info === 'object')
      return JSON.stringify({ ...parsed, key: '<shown once>' })
  } catch {
    // not JSON: check it as it is
  }
  return body
}

// 4. Test peppers: long string literals on lines that mention a pepper, in every test and example.
const root = fileURLToPath(new URL('..', import.meta.url))
const peppers = new Set<string>()
function collectPeppers(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) collectPeppers(path)
    else if (/\.(ts|mjs|js)$/.test(entry.name))
      for (const line of readFileSync(path, 'utf8').split('\n'))
        if (/pepper/i.test(line)) for (const m of line.matchAll(/['"`]([^'"`$\s]{32,})['"`]/g)) peppers.add(m[1]!)
  }
}
for (const dir of ['packages', 'examples', 'test']) collectPeppers(join(root, dir))

afterAll(() => {
  const text = captured.join('\n')
  const fragments = new Set<string>()
  for (const key of keys) {
    const secret = key.slice(-38, -6)
    for (let i = 0; i + 8 <= secret.length; i++) fragments.add(secret.slice(i, i + 8))
  }
  const leaks: string[] = []
  for (const match of text.matchAll(/[0-9A-Za-z]{8,}/g)) {
    const run = match[0]
    for (let i = 0; i + 8 <= run.length && leaks.length < 5; i++)
      if (fragments.has(run.slice(i, i + 8)))
        leaks.push(`secret fragment near …${text.slice(Math.max(0, match.index! - 40), match.index!)}`)
  }
  for (const match of text.matchAll(/[0-9a-f]{64}/g)) if (digests.has(match[0])) leaks.push('a stored digest')
  for (const pepper of peppers) if (text.includes(pepper)) leaks.push('a pepper')
  if (leaks.length > 0) throw new Error(`Secret material in logs, console output or HTTP responses:\n- ${[...new Set(leaks)].join('\n- ')}`)
})
