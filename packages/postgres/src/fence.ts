/** Greater than any WAL position: a change whose position on the primary is not known yet. */
const PENDING = 1n << 64n
/** Ids remembered one by one; past this, they become one fence for every read. */
const MAX_FENCED_IDS = 10_000
/** The replica's replay position is asked at most this often (and only while a read waits on it). */
const POLL_EVERY_MS = 10
/** The primary's position is asked at most this often for changed ids (they read the primary meanwhile). */
const FETCH_EVERY_MS = 5

/** Where WAL positions come from (byte offsets, as bigints). */
export interface FenceSources {
  /** The end of the WAL the primary has written so far (after every change that has committed). */
  primary(): Promise<bigint>
  /** How far the replica has replayed; null when it is not a standby. */
  replica(): Promise<bigint | null>
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b)

/**
 * Decides, per read, whether the replica may answer it: only when no change the store knows of is
 * missing there. A change is known from the change feed (LISTEN on the primary) or from a write
 * through this store; its position is the primary's WAL end just after it was heard of (so at or
 * past its commit), and the id reads from the primary until the replica has replayed that far.
 * Listings wait for every known change. While the change feed is down, and after it (re)connects
 * until the replica has replayed what the primary had then written, every read goes to the primary.
 */
export class ReplicaFence {
  readonly #sources: FenceSources
  /** Changed ids and the position the replica must reach before it may answer for them. */
  readonly #ids = new Map<string, bigint>()
  /** Every read waits for the replica to reach this (after a (re)connect, or too many ids). */
  #all = 0n
  /** The latest change known: listings wait for it. */
  #latest = 0n
  #replayed = -1n
  /** Changed ids waiting for the primary's position (asked after they changed). */
  #queued = new Set<string>()
  #fetching = false
  #fetchedAt = 0
  #polling = false
  #polledAt = 0
  #listening = false
  #baselined = false
  #baselining = false
  #generation = 0

  constructor(sources: FenceSources) {
    this.#sources = sources
  }

  /** Whether the replica may answer reads of unchanged ids (the change feed is up and the replica past its start). */
  get ready(): boolean {
    return this.#listening && this.#baselined && this.#all <= this.#replayed
  }

  /** Whether reading `id` (or, without one, a listing) from the replica could miss a known change. */
  stale(id?: string): boolean {
    if (!this.#listening || !this.#baselined) {
      this.#baseline()
      return true
    }
    const own = id === undefined ? (this.#queued.size > 0 || this.#fetching ? PENDING : this.#latest) : (this.#ids.get(id) ?? 0n)
    const target = max(this.#all, own)
    if (target <= this.#replayed) return false
    if (own === PENDING) this.#fetch()
    else this.#poll()
    return true
  }

  /** `id` changed (a notification, or a write through this store that has returned). */
  changed(id: string): void {
    this.#ids.set(id, PENDING)
    this.#queued.add(id)
    this.#fetch()
  }

  /** The change feed is down: notifications may be missed, so nothing may be read from the replica. */
  down(): void {
    this.#listening = false
    this.#baselined = false
    this.#generation++
  }

  /** The change feed is listening (again): the replica may answer once it has what the primary has now. */
  up(): void {
    this.#listening = true
    this.#baselined = false
    this.#generation++
    this.#baseline()
  }

  #baseline(): void {
    if (!this.#listening || this.#baselining) return
    this.#baselining = true
    const generation = this.#generation
    this.#sources
      .primary()
      .then((lsn) => {
        if (generation !== this.#generation) return
        this.#all = max(this.#all, lsn)
        this.#latest = max(this.#latest, lsn)
        this.#baselined = true
      }, ignore)
      .finally(() => {
        this.#baselining = false
      })
  }

  /** Ask the primary's position for the queued ids (the ones queued after this starts wait for the next). */
  #fetch(): void {
    if (this.#fetching || this.#queued.size === 0) return
    this.#fetching = true
    const wait = this.#fetchedAt + FETCH_EVERY_MS - Date.now()
    const run = () => {
      this.#fetchedAt = Date.now()
      const batch = this.#queued
      this.#queued = new Set()
      this.#sources.primary().then(
        (lsn) => {
          this.#latest = max(this.#latest, lsn)
          for (const id of batch) if (!this.#queued.has(id)) this.#ids.set(id, lsn)
          if (this.#ids.size > MAX_FENCED_IDS) this.#collapse()
          this.#fetching = false
          this.#fetch()
        },
        () => {
          // The primary did not answer: the ids stay pending (read from the primary) and are asked again on their next read.
          for (const id of batch) this.#queued.add(id)
          this.#fetching = false
        },
      )
    }
    if (wait > 0) setTimeout(run, wait).unref?.()
    else run()
  }

  /** Too many ids: one fence for every read at the latest position, instead of one per id. */
  #collapse(): void {
    this.#all = max(this.#all, this.#latest)
    for (const [id, lsn] of this.#ids) if (lsn !== PENDING) this.#ids.delete(id)
  }

  #poll(): void {
    if (this.#polling || Date.now() - this.#polledAt < POLL_EVERY_MS) return
    this.#polling = true
    this.#sources
      .replica()
      .then((lsn) => {
        if (lsn === null || lsn <= this.#replayed) return
        this.#replayed = lsn
        for (const [id, at] of this.#ids) if (at <= lsn) this.#ids.delete(id)
      }, ignore)
      .finally(() => {
        this.#polling = false
        this.#polledAt = Date.now()
      })
  }
}

const ignore = (): void => undefined
