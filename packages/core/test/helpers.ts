import { afterEach } from 'vitest'
import type { Keyward, KeywardOptions } from '../src/api.js'
import { createKeyward } from '../src/keyward.js'
import { MemoryKeyStore } from '../src/memory-store.js'
import type { KeyStore } from '../src/types.js'

export const PEPPER = 'test-pepper-0123456789-abcdefghijklmnop'

/** A MemoryKeyStore that counts calls per method and can be told to fail. */
export class CountingStore extends MemoryKeyStore {
  calls: Record<string, number> = {}
  failing = false

  total(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0)
  }

  #hit(method: string): void {
    this.calls[method] = (this.calls[method] ?? 0) + 1
    if (this.failing) throw new Error(`connect ECONNREFUSED 127.0.0.1:5432 (${method})`)
  }

  override async insert(...args: Parameters<KeyStore['insert']>) {
    this.#hit('insert')
    return super.insert(...args)
  }
  override async findById(...args: Parameters<KeyStore['findById']>) {
    this.#hit('findById')
    return super.findById(...args)
  }
  override async update(...args: Parameters<KeyStore['update']>) {
    this.#hit('update')
    return super.update(...args)
  }
  override async delete(...args: Parameters<KeyStore['delete']>) {
    this.#hit('delete')
    return super.delete(...args)
  }
  override async list(...args: Parameters<KeyStore['list']>) {
    this.#hit('list')
    return super.list(...args)
  }
  override async touch(...args: Parameters<KeyStore['touch']>) {
    this.#hit('touch')
    return super.touch(...args)
  }
  override async incrementCounter(...args: Parameters<NonNullable<KeyStore['incrementCounter']>>) {
    this.#hit('incrementCounter')
    return super.incrementCounter(...args)
  }
}

/** A clock tests move by hand. */
export function manualClock(start = Date.UTC(2026, 10, 28, 12)) {
  let now = start
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms
    },
  }
}

/**
 * `make(options)`: an `acme_live` instance over a fresh MemoryKeyStore with the test pepper,
 * `options` overriding; every instance made is closed after each test.
 */
export function instanceFactory(): (options?: Partial<KeywardOptions>) => Keyward {
  const open: Keyward[] = []
  afterEach(async () => {
    for (const keyward of open.splice(0)) await keyward.close()
  })
  return (options = {}) => {
    const keyward = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper: PEPPER, ...options } as KeywardOptions)
    open.push(keyward)
    return keyward
  }
}

/** A MemoryKeyStore whose method calls are counted by name, for "how many store calls" assertions. */
export function countingStore(): { store: KeyStore; memory: MemoryKeyStore; calls: Record<string, number> } {
  const memory = new MemoryKeyStore()
  const calls: Record<string, number> = {}
  const store = new Proxy(memory, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls[String(name)] = (calls[String(name)] ?? 0) + 1
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  return { store: store as KeyStore, memory, calls }
}
