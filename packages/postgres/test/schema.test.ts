import { sampleRecord } from '@keyward/core/testing'
import { KeyStoreSchemaError, POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION, postgresMigrationSql } from '@keyward/postgres'
import { describe, expect, it } from 'vitest'
import { eventually } from '../../../test/eventually.js'
import { admin, freshSchema, freshStore, schemaAtVersion } from './helpers.js'

describe('PostgresKeyStore schema', () => {
  it('migrates on first use, with concurrent first uses, and a second store finds it current', async () => {
    const schema = freshSchema()
    const stores = [freshStore({ namespace: schema }), freshStore({ namespace: schema }), freshStore({ namespace: schema })]
    const record = sampleRecord()
    await Promise.all(stores.map((s, i) => (i === 0 ? s.insert(record) : s.findById(record.id))))
    expect(await stores[0]!.schemaVersion()).toBe(POSTGRES_SCHEMA_VERSION)
    const later = freshStore({ namespace: schema, migrate: false })
    expect(await later.findById(record.id)).toEqual(record)
    await Promise.all([...stores, later].map((s) => s.close()))
  })

  it('refuses a missing schema with migrate: false, and accepts one applied by hand from postgresMigrationSql()', async () => {
    const schema = freshSchema()
    const store = freshStore({ namespace: schema, migrate: false })
    const error = await store.findById('AAAAAAAAAAAA').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeyStoreSchemaError)
    expect(error).toMatchObject({ code: 'schema_missing' })
    await admin.query(postgresMigrationSql({ namespace: schema }))
    expect(await store.findById('AAAAAAAAAAAA')).toBeNull()
    await store.close()
  })

  it('refuses a schema newer than it knows, with a clear message', async () => {
    const schema = freshSchema()
    const store = freshStore({ namespace: schema })
    await store.migrate()
    await admin.query(`INSERT INTO "${schema}".keyward_keys_migrations (version, name) VALUES ($1, 'future')`, [
      POSTGRES_SCHEMA_VERSION + 1,
    ])
    const fresh = freshStore({ namespace: schema })
    await expect(fresh.findById('AAAAAAAAAAAA')).rejects.toMatchObject({ code: 'schema_too_new' })
    await expect(fresh.findById('AAAAAAAAAAAA')).rejects.toThrow(/newer than this package supports/)
    await Promise.all([store.close(), fresh.close()])
  })

  it('creates the indexes for lookup by id, listing by owner, usage reads, audit paging and claiming notifications', async () => {
    const schema = freshSchema()
    const store = freshStore({ namespace: schema })
    await store.migrate()
    const { rows } = await admin.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE schemaname = $1', [schema])
    const defs = rows.map((r) => r.indexdef).join('\n')
    expect(defs).toMatch(/UNIQUE INDEX keyward_keys_pkey .*\(id\)/)
    expect(defs).toMatch(/keyward_keys_owner_idx .*\(owner_id, created_at DESC, id DESC\)/)
    expect(defs).toMatch(/keyward_keys_created_idx .*\(created_at DESC, id DESC\)/)
    expect(defs).toMatch(/keyward_keys_prefix_idx .*\(prefix, created_at DESC, id DESC\)/)
    // Version 3: usage buckets, the audit log, the notification ledger and leases, in the store's namespace.
    expect(defs).toMatch(/UNIQUE INDEX keyward_keys_usage_pkey .*\(prefix, granularity, start, key_id, owner_id, outcome\)/)
    expect(defs).toMatch(/keyward_keys_usage_owner_idx .*\(prefix, granularity, owner_id, start\)/)
    expect(defs).toMatch(/keyward_keys_usage_key_idx .*\(prefix, granularity, key_id, start\)/)
    expect(defs).toMatch(/keyward_keys_audit_prefix_idx .*\(prefix, at DESC, id DESC\)/)
    expect(defs).toMatch(/keyward_keys_audit_key_idx .*\(key_id, at DESC, id DESC\)/)
    expect(defs).toMatch(/keyward_keys_audit_owner_idx .*\(owner_id, at DESC, id DESC\)/)
    expect(defs).toMatch(/keyward_keys_notif_due_idx .*\(created_at, id\) WHERE pending/)
    expect(defs).toMatch(/UNIQUE INDEX keyward_keys_leases_pkey .*\(name\)/)
    await store.close()
  })

  it('upgrades a version-1 schema in place: records kept, and then a hand-made change notifies', async () => {
    const schema = freshSchema()
    const v1 = POSTGRES_MIGRATIONS[0]!
    await admin.query(
      `CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".keyward_keys_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());`,
    )
    await admin.query(v1.sql({ schema, table: 'keyward_keys' }))
    await admin.query(`INSERT INTO "${schema}".keyward_keys_migrations (version, name) VALUES (1, $1)`, [v1.name])
    const old = freshStore({ namespace: schema, migrate: false })
    await expect(old.findById('AAAAAAAAAAAA')).rejects.toMatchObject({ code: 'schema_outdated' })
    await old.close()
    const record = sampleRecord()
    await admin.query(
      `INSERT INTO "${schema}".keyward_keys (id, prefix, digest, algorithm, hint, name, scopes, metadata, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
      [
        record.id,
        record.prefix,
        record.digest,
        record.algorithm,
        record.hint,
        record.name,
        record.scopes,
        JSON.stringify(record.metadata),
        record.createdAt,
      ],
    )
    const store = freshStore({ namespace: schema })
    expect(await store.findById(record.id)).toMatchObject({ id: record.id, name: record.name })
    expect(await store.schemaVersion()).toBe(POSTGRES_SCHEMA_VERSION)
    const seen: string[] = []
    const unsubscribe = await store.subscribe((change) => seen.push(change.id))
    await admin.query(`UPDATE "${schema}".keyward_keys SET revoked_at = now() WHERE id = $1`, [record.id])
    await eventually(
      'notification',
      async () => seen,
      (s) => s.includes(record.id),
      1_000,
    )
    await unsubscribe()
    await store.close()
  })

  it('upgrades a version-6 schema to 7: old keys read back importedAt and legacyHash null; a hand-made change of legacy_hash notifies', async () => {
    const schema = await schemaAtVersion(6)
    const old = sampleRecord()
    await admin.query(
      `INSERT INTO "${schema}".keyward_keys (id, prefix, digest, algorithm, hint, name, scopes, metadata, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
      [old.id, old.prefix, old.digest, old.algorithm, old.hint, old.name, old.scopes, JSON.stringify(old.metadata), old.createdAt],
    )
    const store = freshStore({ namespace: schema })
    expect(await store.findById(old.id)).toMatchObject({ id: old.id, importedAt: null, legacyHash: null })
    expect(await store.schemaVersion()).toBe(7)
    const imported = sampleRecord({
      algorithm: 'legacy-prefixed-api-key',
      importedAt: new Date(Date.UTC(2026, 0, 2)),
      legacyHash: '$2b$10$abc',
    })
    await store.insert(imported)
    expect(await store.findById(imported.id)).toEqual(imported)
    const seen: string[] = []
    const unsubscribe = await store.subscribe((change) => seen.push(change.id))
    await admin.query(`UPDATE "${schema}".keyward_keys SET legacy_hash = NULL WHERE id = $1`, [imported.id])
    await eventually(
      'notification',
      async () => seen,
      (s) => s.includes(imported.id),
      1_000,
    )
    await unsubscribe()
    await store.close()
  })

  it('validates schema and table names when built', () => {
    expect(() => freshStore({ namespace: 'bad"name' })).toThrow(TypeError)
    expect(() => freshStore({ table: 'x y' })).toThrow(TypeError)
  })
})
