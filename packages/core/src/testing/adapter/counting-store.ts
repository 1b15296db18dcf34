import type { KeyStore } from '@keyward/core'

/**
 * Wraps a `KeyStore`, counting calls; `failing = true` makes every call reject. `calls` leaves out
 * `touch`, the batched last-used write that runs on a timer, off the request path.
 */
export class CountingStore implements KeyStore {
  calls = 0
  failing = false
  constructor(readonly inner: KeyStore) {}
  #hit(method?: 'touch'): void {
    if (method === undefined) this.calls++
    if (this.failing) throw new Error('connect ECONNREFUSED 127.0.0.1:5432')
  }
  async insert(...args: Parameters<KeyStore['insert']>) {
    this.#hit()
    return this.inner.insert(...args)
  }
  async findById(...args: Parameters<KeyStore['findById']>) {
    this.#hit()
    return this.inner.findById(...args)
  }
  async update(...args: Parameters<KeyStore['update']>) {
    this.#hit()
    return this.inner.update(...args)
  }
  async delete(...args: Parameters<KeyStore['delete']>) {
    this.#hit()
    return this.inner.delete(...args)
  }
  async list(...args: Parameters<KeyStore['list']>) {
    this.#hit()
    return this.inner.list(...args)
  }
  async touch(...args: Parameters<KeyStore['touch']>) {
    this.#hit('touch')
    return this.inner.touch(...args)
  }
  async incrementCounter(...args: Parameters<NonNullable<KeyStore['incrementCounter']>>) {
    this.#hit()
    return this.inner.incrementCounter!(...args)
  }
  async spendCredits(...args: Parameters<NonNullable<KeyStore['spendCredits']>>) {
    this.#hit()
    return this.inner.spendCredits!(...args)
  }
  async charge(...args: Parameters<NonNullable<KeyStore['charge']>>) {
    this.#hit()
    return this.inner.charge!(...args)
  }
  async getOwner(...args: Parameters<NonNullable<KeyStore['getOwner']>>) {
    this.#hit()
    return this.inner.getOwner!(...args)
  }
  async putOwner(...args: Parameters<NonNullable<KeyStore['putOwner']>>) {
    this.#hit()
    return this.inner.putOwner!(...args)
  }
}
