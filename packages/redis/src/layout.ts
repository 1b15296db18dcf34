import { counterSubject } from '@keyward/core/store'

/**
 * Where every Redis key of a `RedisKeyStore` lives: one layout for a single server and a cluster,
 * sharded by hash tags, so that what one step changes shares a slot.
 *
 * - `<ns>{<id>}`: a record's slot — `key` (the record hash), its counters (`ctr:…`), its usage
 *   (`u:<granularity>`, `u:<granularity>:idx`, `u:batches`).
 * - `<ns>{o:<ownerId>}`: an owner's slot — `owner` (the owner hash), its counters, its list indexes
 *   (`idx:all`, `idx:live`, `idx:p:<prefix>:all|live`), `cap` (its live keys scored by expiry),
 *   `cap:res` (reservations of capped inserts in flight) and `rev` (the revision each key's index
 *   entries were written at).
 * - `<ns>{<counter name>}ctr:…`: a counter of no key or owner (`fail:source:…`, names a caller gives).
 * - `<ns>{ctl}`: the control slot — `schema`, the global and per-prefix list indexes, the audit log,
 *   the notification ledger, leases, the usage key index and the change channel.
 */
export class Layout {
  constructor(readonly ns: string) {}

  /** The hash-tagged start of every key in record `id`'s slot. */
  keySlot(id: string): string {
    return `${this.ns}{${id}}`
  }

  record(id: string): string {
    return `${this.keySlot(id)}key`
  }

  ownerSlot(ownerId: string): string {
    return `${this.ns}{o:${ownerId}}`
  }

  owner(ownerId: string): string {
    return `${this.ownerSlot(ownerId)}owner`
  }

  /** The control slot's key `name`. */
  control(name: string): string {
    return `${this.ns}{ctl}${name}`
  }

  /** The change channel (in the control slot, so a script there may `SPUBLISH` on it). */
  get channel(): string {
    return this.control('changes')
  }

  /** The slot of counter `name`: its key's, its owner's, or its own. */
  counterSlot(name: string): string {
    const subject = counterSubject(name)
    if (subject === null) return `${this.ns}{${name}}`
    return subject.kind === 'key' ? this.keySlot(subject.id) : this.ownerSlot(subject.id)
  }

  /** Counter `name`'s slot for the window of `windowMs` that starts at `start`. */
  counter(name: string, windowMs: number, start: number): string {
    return `${this.counterSlot(name)}ctr:${name}@${windowMs}:${start}`
  }

  /** The list indexes (all records, live ones) of a scope: the control slot's or an owner's, optionally of one deployment prefix. */
  indexes(scope: string, prefix?: string): { all: string; live: string } {
    const at = prefix === undefined ? `${scope}idx:` : `${scope}idx:p:${prefix}:`
    return { all: `${at}all`, live: `${at}live` }
  }

  /** The indexes a record is in: globally and in its owner's slot, each for all records and for its deployment prefix. */
  recordIndexes(
    prefix: string,
    ownerId: string | null,
  ): { control: { all: string[]; live: string[] }; owner: { all: string[]; live: string[] } } {
    const pair = (scope: string) => {
      const [a, b] = [this.indexes(scope), this.indexes(scope, prefix)]
      return { all: [a.all, b.all], live: [a.live, b.live] }
    }
    return { control: pair(this.control('')), owner: ownerId === null ? { all: [], live: [] } : pair(this.ownerSlot(ownerId)) }
  }
}
