import { sampleRecord } from '@keyward/core/testing'
import type { AuditRecord, UsageIncrement } from '@keyward/core/store'
import { describe, expect, it } from 'vitest'
import { eventually } from '../../../test/eventually.js'
import { admin, freshSchema, freshStore } from './helpers.js'

const T0 = Date.UTC(2026, 2, 4, 5, 6)

const audit = (keyId: string, action: AuditRecord['action']): AuditRecord => ({
  id: crypto.randomUUID(),
  at: new Date(T0),
  action,
  prefix: 'pg_test',
  keyId,
  ownerId: null,
  actor: { id: 'admin' },
  fields: null,
})

describe('PostgresKeyStore usage, audit and notifications', () => {
  it('hands each pending notification to exactly one of many concurrent claims from two stores', async () => {
    const namespace = freshSchema()
    const [one, two] = [freshStore({ namespace }), freshStore({ namespace })]
    const ids = Array.from({ length: 60 }, (_, i) => `n${String(i).padStart(2, '0')}`)
    await one.recordNotifications(ids.map((id, i) => ({ id, type: 't', keyId: null, payload: '{}', createdAt: T0 + i, pending: true })))
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? two : one).claimNotifications(`h${i}`, T0 + 1000, 60_000, 7)),
    )
    const claimed = claims.flat().map((n) => n.id)
    expect([...claimed].sort()).toEqual(ids)
    const { rows } = await admin.query(`SELECT count(DISTINCT claimed_by)::int AS holders FROM "${namespace}".keyward_keys_notifications`)
    expect(rows[0].holders).toBeGreaterThan(1)
    await Promise.all([one.close(), two.close()])
  })

  it('adds large batches in opposite orders concurrently from two stores without deadlock or loss', async () => {
    const namespace = freshSchema()
    const [one, two] = [freshStore({ namespace }), freshStore({ namespace })]
    const keys = Array.from({ length: 80 }, (_, i) => `K${String(i).padStart(11, '0')}`)
    const batch = (order: string[]): UsageIncrement[] =>
      order.map((keyId) => ({ keyId, ownerId: 'o', prefix: 'pg_test', minute: T0, outcome: 'ok', count: 1 }))
    await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? two : one).addUsage(batch(i % 2 ? [...keys].reverse() : keys))))
    const rows = await one.readUsage({ prefix: 'pg_test', granularity: 'day', from: T0 - 86_400_000, to: T0 + 86_400_000 })
    expect(rows).toHaveLength(80)
    expect(rows.every((row) => row.count === 16)).toBe(true)
    await Promise.all([one.close(), two.close()])
  })

  it('keeps notifying subscribers of audited changes, with the audit row written by the same statement', async () => {
    const store = freshStore()
    const seen: string[] = []
    const unsubscribe = await store.subscribe((change) => seen.push(change.id))
    const record = sampleRecord()
    await store.insert(record, { audit: audit(record.id, 'key.created') })
    await store.update(record.id, { name: 'renamed' }, { audit: audit(record.id, 'key.updated') })
    await store.delete(record.id, { audit: audit(record.id, 'key.deleted') })
    await eventually(
      'three notifications',
      async () => seen.filter((id) => id === record.id).length,
      (n) => n >= 3,
      2_000,
    )
    const page = await store.listAudit({ prefix: 'pg_test', keyId: record.id, limit: 10 })
    expect(page.items.map((e) => e.action).sort()).toEqual(['key.created', 'key.deleted', 'key.updated'])
    await unsubscribe()
    await store.close()
  })
})
