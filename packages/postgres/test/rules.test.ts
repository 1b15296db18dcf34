import type { Charge } from '@keyward/core/store'
import { sampleOwner, sampleRecord } from '@keyward/core/testing'
import { POSTGRES_SCHEMA_VERSION } from '@keyward/postgres'
import { describe, expect, it } from 'vitest'
import { eventually } from '../../../test/eventually.js'
import { admin, freshSchema, freshStore, schemaAtVersion } from './helpers.js'

const MINUTE = 60_000
const T0 = Date.UTC(2026, 0, 1, 0, 0, 30)

const counter = (name: string, limit: number, amount = 1): Charge => ({
  type: 'counter',
  name,
  amount,
  limit,
  windowMs: MINUTE,
  algorithm: 'fixed',
})

describe('PostgresKeyStore access rules (schema version 6)', () => {
  it('upgrades a version-5 schema in place: old rows read back with roles [] and no rules, then take the new fields', async () => {
    const namespace = await schemaAtVersion(5)
    const old = sampleRecord({ credits: { remaining: 5, refill: null } })
    await admin.query(
      `INSERT INTO "${namespace}".keyward_keys (id, prefix, digest, algorithm, pepper_id, hint, name, owner_id, scopes, metadata, created_at, updated_at, credits)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)`,
      [
        old.id,
        old.prefix,
        old.digest,
        old.algorithm,
        old.pepperId,
        old.hint,
        old.name,
        old.ownerId,
        old.scopes,
        JSON.stringify(old.metadata),
        old.createdAt,
        JSON.stringify(old.credits),
      ],
    )
    const store = freshStore({ namespace })
    try {
      expect(await store.findById(old.id)).toEqual(old)
      expect(await store.schemaVersion()).toBe(POSTGRES_SCHEMA_VERSION)
      const patch = {
        roles: ['reader'],
        allowedIps: ['10.0.0.0/8'],
        notBefore: new Date(T0),
        rateLimits: [{ name: 'tokens', limit: 9, windowMs: MINUTE }],
      }
      expect(await store.update(old.id, patch)).toEqual({ ...old, ...patch, revision: 1 })
      // Old keys spend their credits through charge too.
      expect((await store.charge([{ type: 'credits', holder: 'key', id: old.id, cost: 2 }], T0)).states[0]).toMatchObject({
        ok: true,
        remaining: 3,
      })
    } finally {
      await store.close()
    }
  })

  it('notifies owner:<id> for a hand-made change of an owner, but not when a charge only spends its credits', async () => {
    const namespace = freshSchema()
    const store = freshStore({ namespace })
    const seen: string[] = []
    const stop = await store.subscribe((change) => seen.push(change.id))
    try {
      const owner = await store.putOwner(sampleOwner({ credits: { remaining: 10, refill: null } }))
      await eventually(
        'put',
        async () => seen,
        (s) => s.includes(`owner:${owner.id}`),
        2_000,
      )
      seen.length = 0
      expect((await store.charge([{ type: 'credits', holder: 'owner', id: owner.id, cost: 4 }], T0)).ok).toBe(true)
      expect((await store.getOwner(owner.id))?.credits).toEqual({ remaining: 6, refill: null })
      // A later hand edit is notified; its notification arriving alone shows the charge sent none.
      await admin.query(`UPDATE "${namespace}".keyward_keys_owners SET max_keys = 3 WHERE id = $1`, [owner.id])
      await eventually(
        'hand edit',
        async () => seen,
        (s) => s.length > 0,
        2_000,
      )
      expect(seen).toEqual([`owner:${owner.id}`])
      expect(await store.getOwner(owner.id)).toMatchObject({ maxKeys: 3, revision: 1 })
    } finally {
      await stop()
      await store.close()
    }
  })

  it('queues concurrent charges that name the same rows in opposite orders without deadlock', async () => {
    const namespace = freshSchema()
    const [store, peer] = [freshStore({ namespace }), freshStore({ namespace })]
    try {
      const owner = await store.putOwner(sampleOwner({ credits: { remaining: 1_000, refill: null } }))
      const key = sampleRecord({ ownerId: owner.id, credits: { remaining: 150, refill: null } })
      await store.insert(key)
      const charges: Charge[] = [
        counter('a', 1_000),
        counter('b', 1_000),
        { type: 'credits', holder: 'key', id: key.id, cost: 1 },
        { type: 'credits', holder: 'owner', id: owner.id, cost: 1 },
      ]
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? peer : store).charge(i % 4 < 2 ? charges : [...charges].reverse(), T0)),
      )
      // The key's 150 credits are the tightest: the other 50 are refused and spend nothing anywhere.
      expect(results.filter((r) => r.ok)).toHaveLength(150)
      expect((await store.findById(key.id))?.credits?.remaining).toBe(0)
      expect((await store.getOwner(owner.id))?.credits?.remaining).toBe(850)
      const peek = await store.charge([counter('a', 1_000, 0), counter('b', 1_000, 0)], T0)
      expect(peek.states.map((s) => s?.type === 'counter' && s.count)).toEqual([150, 150])
    } finally {
      await Promise.all([store.close(), peer.close()])
    }
  })

  it('keeps a counter slot one window past its end, so a sliding limit still sees it, whichever call made it', async () => {
    const namespace = freshSchema()
    const store = freshStore({ namespace })
    try {
      await store.incrementCounter('by-increment', 1, MINUTE, T0)
      await store.charge([counter('by-charge', 10)], T0)
      const { rows } = await admin.query<{ slot: string; reset_at: string }>(
        `SELECT slot, reset_at::text FROM "${namespace}".keyward_keys_counters ORDER BY slot`,
      )
      const start = T0 - 30_000
      expect(rows).toEqual([
        { slot: `by-charge@${MINUTE}:${start}`, reset_at: String(start + 2 * MINUTE) },
        { slot: `by-increment@${MINUTE}:${start}`, reset_at: String(start + 2 * MINUTE) },
      ])
      expect(await store.incrementCounter('by-increment', 0, MINUTE, T0)).toEqual({ count: 1, resetAt: start + MINUTE })
    } finally {
      await store.close()
    }
  })

  it('appends no audit entry for a capped insert it refuses, and one for each it makes', async () => {
    const store = freshStore()
    try {
      const ownerId = 'capped-owner'
      const cap = { maxKeys: 1, now: T0 }
      const audit = (id: string) => ({
        id,
        at: new Date(T0),
        action: 'key.created' as const,
        prefix: 'pg_test',
        keyId: null,
        ownerId,
        actor: null,
        fields: null,
      })
      await store.insert(sampleRecord({ ownerId }), { cap, audit: audit('a1') })
      await expect(store.insert(sampleRecord({ ownerId }), { cap, audit: audit('a2') })).rejects.toMatchObject({ code: 'limit_exceeded' })
      const page = await store.listAudit({ prefix: 'pg_test', limit: 10 })
      expect(page.items.map((e) => e.id)).toEqual(['a1'])
    } finally {
      await store.close()
    }
  })

  it('appends the audit entry of putOwner in the upsert statement: a failing entry leaves the owner as it was', async () => {
    const store = freshStore()
    try {
      const entry = (id: string) => ({
        id,
        at: new Date(T0),
        action: 'owner.updated' as const,
        prefix: 'pg_test',
        keyId: null,
        ownerId: 'o1',
        actor: null,
        fields: ['maxKeys'],
      })
      const first = await store.putOwner(sampleOwner({ id: 'o1', maxKeys: 1 }), { audit: entry('e1') })
      expect(first).toMatchObject({ id: 'o1', maxKeys: 1, revision: 1 })
      await expect(store.putOwner(sampleOwner({ id: 'o1', maxKeys: 2 }), { audit: entry('e1') })).rejects.toThrow()
      expect(await store.getOwner('o1')).toEqual(first)
      expect((await store.listAudit({ prefix: 'pg_test', limit: 10 })).items.map((e) => e.id)).toEqual(['e1'])
    } finally {
      await store.close()
    }
  })
})
