/**
 * Failures that explain themselves: a wrong store says why, at start-up and in the log, without
 * any credential, digest or key in what it says.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createKeyward, type KeywardEvent, type LogEntry, StoreUnavailableError } from '../src/index.js'
import { currentDefaultLogger, setDefaultLogger } from '../src/logging.js'
import { CountingStore, PEPPER } from './helpers.js'

const refused = () => new Error('connect ECONNREFUSED 127.0.0.1:5432 (postgres://keyward:hunter2-db-password@127.0.0.1:5432/app)')

function failingStore(error: () => Error = refused): CountingStore {
  const store = new CountingStore()
  store.findById = async () => {
    throw error()
  }
  return store
}

describe('ready()', () => {
  it('resolves when the store answers', async () => {
    const keyward = createKeyward({ prefix: 'acme', store: new CountingStore(), pepper: PEPPER })
    await expect(keyward.ready()).resolves.toBeUndefined()
    await keyward.close()
  })

  it('rejects with the store’s reason, its password removed', async () => {
    const keyward = createKeyward({ prefix: 'acme', store: failingStore(), pepper: PEPPER, logger: false })
    const error = (await keyward.ready().catch((e: unknown) => e)) as StoreUnavailableError
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect(error.operation).toBe('ready')
    expect(error.message).toContain('ECONNREFUSED 127.0.0.1:5432')
    expect(error.message).toContain('postgres://keyward:***@127.0.0.1')
    expect(error.message).not.toContain('hunter2')
    expect(error.cause).toBeInstanceOf(Error)
    await keyward.close()
  })

  it('never repeats a digest or a key-like run from a driver message', async () => {
    const digest = 'ab'.repeat(32)
    const keyward = createKeyward({
      prefix: 'acme',
      store: failingStore(() => new Error(`duplicate key value (digest)=(${digest}) token Qw7pLmZ3x9TqW9rB0cXyZa1b2C4d`)),
      pepper: PEPPER,
      logger: false,
    })
    const message = (await keyward.ready().catch((e: Error) => e.message)) as string
    expect(message).not.toContain(digest)
    expect(message).not.toContain('Qw7pLmZ3x9TqW9rB0cXyZa1b2C4d')
    expect(message).toContain('<digest>')
    await keyward.close()
  })
})

describe('store errors in the log', () => {
  const saved = currentDefaultLogger()
  beforeEach(() => setDefaultLogger(null))
  afterEach(() => {
    setDefaultLogger(saved ?? null)
    vi.restoreAllMocks()
  })

  it('go to console.warn with their cause when no logger is configured, once a minute per distinct cause', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const keyward = createKeyward({ prefix: 'acme', store: failingStore(), pepper: PEPPER })
    const { key } = await createKeyward({ prefix: 'acme', store: new CountingStore(), pepper: PEPPER, logger: false }).create({ name: 'k' })
    for (let i = 0; i < 20; i++) expect(await keyward.verify(key)).toMatchObject({ code: 'store_unavailable' })
    expect(warn).toHaveBeenCalledTimes(1)
    const line = String(warn.mock.calls[0]![0])
    expect(line).toContain('keyward store.error')
    expect(line).toContain('ECONNREFUSED')
    expect(line).not.toContain('hunter2')
    await keyward.close()
  })

  it('reach a configured logger with the cause, and nothing at all with logger: false', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const entries: LogEntry[] = []
    const events: KeywardEvent[] = []
    const logged = createKeyward({
      prefix: 'acme',
      store: failingStore(),
      pepper: PEPPER,
      logger: (e) => entries.push(e),
      hooks: { onEvent: (e) => events.push(e) },
    })
    const silent = createKeyward({ prefix: 'acme', store: failingStore(), pepper: PEPPER, logger: false })
    const { key } = await createKeyward({ prefix: 'acme', store: new CountingStore(), pepper: PEPPER, logger: false }).create({ name: 'k' })
    await logged.verify(key)
    await silent.verify(key)
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'keyward store.error',
        fields: expect.objectContaining({ cause: expect.stringContaining('ECONNREFUSED') }),
      }),
    )
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'store.error', operation: 'verify', cause: expect.stringContaining('ECONNREFUSED') }),
    )
    expect(warn).not.toHaveBeenCalled()
    await logged.close()
    await silent.close()
  })
})

describe('a deployment without a pepper', () => {
  /** Run `code` in a plain Node process (no test runner in its environment), importing core's source. */
  function run(code: string): string {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST') && name !== 'NODE_ENV'))
    const result = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `import { createKeyward, MemoryKeyStore } from '@keyward/core'\n${code}`],
      {
        encoding: 'utf8',
        env,
        cwd: fileURLToPath(new URL('..', import.meta.url)),
      },
    )
    expect(result.status, result.stderr).toBe(0)
    return result.stderr
  }

  it('warns once, loudly, when the pepper was left out', () => {
    const stderr = run(`for (let i = 0; i < 3; i++) createKeyward({ prefix: 'acme', store: new MemoryKeyStore() })`)
    expect(stderr.match(/No pepper is configured/g)).toHaveLength(1)
    expect(stderr).toContain('pepper: false')
  })

  it('stays quiet with pepper: false or a pepper', () => {
    expect(run(`createKeyward({ prefix: 'acme', store: new MemoryKeyStore(), pepper: false })`)).toBe('')
    expect(run(`createKeyward({ prefix: 'acme', store: new MemoryKeyStore(), pepper: 'p'.repeat(32) })`)).toBe('')
  })
})
