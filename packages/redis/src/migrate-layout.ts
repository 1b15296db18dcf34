import type { UsageGranularity } from '@keyward/core/store'
import { isCluster, type RedisClient } from './client.js'
import { hashToRecord, type KeyHash } from './codec.js'
import { ControlOps, type StepRunner } from './control-ops.js'
import { evalScript } from './eval-script.js'
import type { Layout } from './layout.js'
import { controlIndexes, ownerStep, stateOf } from './writes.js'

/** Keys of the old layout that the new one rebuilds from the records: deleted once everything else moved. */
const DERIVED = /^(idx:|usage:idx:|usage:prefixes$|usage:batches$)/
const USAGE = /^usage:(minute|hour|day):(\d+):(.*)$/

/**
 * Move the data of the layout before schema 3 (every key `<ns><name>`, on one server or in one slot)
 * to the sharded one, key by key, client side: records are re-inserted with their indexes, usage
 * buckets are split by key (counts set, not added, so a repeat is harmless), everything else is
 * copied (see {@link copy}). Each old key is deleted after
 * its copy, so a run cut off resumes where it stopped. Applied usage batch ids are not kept.
 */
export async function moveLegacyLayout(redis: RedisClient, layout: Layout): Promise<void> {
  const steps: StepRunner = {
    layout,
    script: (_operation, _path, name, keys, args) => evalScript(redis, name, keys, args),
  }
  const derived: string[] = []
  for (const node of isCluster(redis) ? redis.nodes('master') : [redis]) {
    let cursor = '0'
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${globEscape(layout.ns)}*`, 'COUNT', 500)
      cursor = next
      for (const key of keys) {
        const name = key.slice(layout.ns.length)
        if (name.startsWith('{') || name === 'schema') continue
        if (DERIVED.test(name)) derived.push(key)
        else await moveKey(redis, steps, key, name)
      }
    } while (cursor !== '0')
  }
  for (const key of derived) await redis.del(key)
}

async function moveKey(redis: RedisClient, steps: StepRunner, key: string, name: string): Promise<void> {
  const { layout } = steps
  if (name.startsWith('key:')) return moveRecord(redis, steps, key)
  const usage = USAGE.exec(name)
  if (usage) return moveUsage(redis, steps, key, usage[1] as UsageGranularity, Number(usage[2]), usage[3]!)
  if (name.startsWith('owner:')) return copy(redis, key, layout.owner(name.slice('owner:'.length)))
  if (name.startsWith('ctr:')) {
    const at = name.lastIndexOf('@')
    const [windowMs, start] = name
      .slice(at + 1)
      .split(':')
      .map(Number)
    return copy(redis, key, layout.counter(name.slice('ctr:'.length, at), windowMs!, start!))
  }
  if (/^(audit|ntf|lease:)/.test(name)) return copy(redis, key, layout.control(name))
}

/**
 * Copy `from` into `to`, then delete `from`: a string (a counter) with DUMP/RESTORE unless `to`
 * exists; a hash, sorted set or set member by member without overwriting any (so a second run, or
 * data an older release wrote later, merges in), keeping its time to live.
 */
async function copy(redis: RedisClient, from: string, to: string): Promise<void> {
  const [type, ttl] = await Promise.all([redis.type(from), redis.pttl(from)])
  if (type === 'string') {
    const dump = await redis.dumpBuffer(from)
    if (dump !== null)
      await redis.restore(to, Math.max(ttl, 0), dump).catch((error: Error) => {
        if (!error.message.startsWith('BUSYKEY')) throw error
      })
  } else if (type === 'hash' || type === 'zset' || type === 'set') {
    const items: string[][] =
      type === 'hash'
        ? Object.entries(await redis.hgetall(from))
        : type === 'zset'
          ? pairs(await redis.zrangebyscore(from, '-inf', '+inf', 'WITHSCORES'))
          : (await redis.smembers(from)).map((m) => [m])
    for (let at = 0; at < items.length; at += 1_000) {
      const batch = redis.pipeline()
      for (const [a, b] of items.slice(at, at + 1_000))
        if (type === 'hash') batch.hsetnx(to, a!, b!)
        else if (type === 'zset') batch.zadd(to, 'NX', b!, a!)
        else batch.sadd(to, a!)
      await batch.exec()
    }
    if (ttl > 0 && items.length > 0) await redis.pexpire(to, ttl)
  }
  await redis.del(from)
}

/** [member, score] pairs of a WITHSCORES reply. */
function pairs(flat: string[]): string[][] {
  const out: string[][] = []
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!])
  return out
}

async function moveRecord(redis: RedisClient, steps: StepRunner, key: string): Promise<void> {
  const hash = (await redis.hgetall(key)) as KeyHash
  const record = hashToRecord(hash)
  if (record !== null) {
    // Published nowhere (channel ''): the record is not new to anyone.
    await evalScript(redis, 'INSERT', [steps.layout.record(record.id)], ['', '', ...Object.entries(hash).flat()])
    await ownerStep(steps, 'migrate', stateOf(record), true)
    await controlIndexes(new ControlOps(steps), steps, stateOf(record)).run('migrate')
  }
  await redis.del(key)
}

async function moveUsage(
  redis: RedisClient,
  steps: StepRunner,
  key: string,
  granularity: UsageGranularity,
  start: number,
  prefix: string,
): Promise<void> {
  const { layout } = steps
  const hash = await redis.hgetall(key)
  const ops = new ControlOps(steps).sadd(layout.control('u:prefixes'), prefix)
  const rows = Object.entries(hash).map(([field, count]) => {
    const [keyId, ownerId, outcome] = JSON.parse(field) as [string, string | null, string]
    ops.sadd(layout.control(`u:keys:${prefix}`), keyId)
    return { keyId, field: JSON.stringify([start, prefix, ownerId, outcome]), count }
  })
  await ops.run('migrate')
  for (const { keyId, field, count } of rows) {
    const slot = layout.keySlot(keyId)
    await redis.hset(`${slot}u:${granularity}`, field, count)
    await redis.zadd(`${slot}u:${granularity}:idx`, start, field)
  }
  await redis.del(key)
}

/** `text` matched literally in a SCAN pattern. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}
