import type Database from 'better-sqlite3'
import { ChangeListeners, storeFailure, type KeyChange } from '@keyward/core/store'
import type { SqliteStatements } from './statements.js'

type Db = Database.Database

/**
 * The subscribers of a `SqliteKeyStore`: changes made through the store are emitted at once, changes
 * by other connections are found by polling the change log while anyone listens.
 */
export class SqliteChangeFeed {
  readonly #db: Db
  readonly #s: Pick<SqliteStatements, 'maxSeq' | 'changesSince'>
  readonly #pollIntervalMs: number
  readonly #listeners = new ChangeListeners()
  #poller: ReturnType<typeof setInterval> | undefined
  #lastVersion = 0
  #lastSeq = 0

  constructor(db: Db, statements: Pick<SqliteStatements, 'maxSeq' | 'changesSince'>, pollIntervalMs: number) {
    this.#db = db
    this.#s = statements
    this.#pollIntervalMs = pollIntervalMs
  }

  /** Tell the subscribers that key `id` changed (`'*'`: anything may have). */
  emit(id: string): void {
    this.#listeners.emit(id)
  }

  /** Add `listener`, starting to poll with the first; the result removes it, stopping with the last. */
  subscribe(listener: (change: KeyChange) => void): () => Promise<void> {
    if (this.#listeners.size === 0) {
      try {
        this.#startPolling()
      } catch (error) {
        throw storeFailure('subscribe', error)
      }
    }
    this.#listeners.add(listener)
    return async () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) this.#stopPolling()
    }
  }

  /** Drop every listener and stop polling. */
  close(): void {
    this.#listeners.clear()
    this.#stopPolling()
  }

  #startPolling(): void {
    this.#lastVersion = this.#db.pragma('data_version', { simple: true }) as number
    this.#lastSeq = (this.#s.maxSeq.get() as { seq: number }).seq
    this.#poller = setInterval(() => this.#poll(), this.#pollIntervalMs)
    this.#poller.unref?.()
  }

  #stopPolling(): void {
    if (this.#poller !== undefined) clearInterval(this.#poller)
    this.#poller = undefined
  }

  /** One check for changes by other connections: cheap unless the file changed. */
  #poll(): void {
    try {
      const version = this.#db.pragma('data_version', { simple: true }) as number
      if (version === this.#lastVersion) return
      this.#lastVersion = version
      const rows = this.#s.changesSince.all(this.#lastSeq) as { seq: number; key_id: string }[]
      if (rows.length === 0) return
      // The log keeps the latest 10,000 changes; a reader that fell further behind may have
      // missed some, so subscribers drop everything they cached.
      if (this.#lastSeq > 0 && rows[0]!.seq > this.#lastSeq + 1) this.#listeners.emit('*')
      this.#lastSeq = rows[rows.length - 1]!.seq
      for (const row of rows) this.#listeners.emit(row.key_id)
    } catch {
      // The file is busy or gone; the next tick tries again.
    }
  }
}
