import type Database from 'better-sqlite3'
import {
  decodeCursor,
  DuplicateKeyIdError,
  LimitExceededError,
  encodeSqlitePatchValue as encodePatchValue,
  SQLITE_PATCH_COLUMNS as PATCH_COLUMNS,
  sqlitePatchFields as patchFields,
  sqliteAuditByKey as auditByKey,
  sqliteInsertKeyValues as insertKeyValues,
  sqliteInsertManyResult as insertManyResult,
  sqliteRecordToRow as recordToRow,
  type ApiKeyPatch,
  type ApiKeyRecord,
  type AuditRecord,
  type InsertCap,
  type SqliteKeyRow as KeyRow,
  type StoreListQuery,
} from '@keyward/core/store'
import { q } from './migrations.js'
import type { SqliteStatements } from './statements.js'

type Db = Database.Database
type Statement = Database.Statement

/**
 * The writes and queries of the keys table, each prepared from its arguments (encoded and checked
 * at once) into a synchronous step for the store to run, and try again while the database is busy.
 */
export class SqliteRecords {
  readonly #db: Db
  readonly #table: string
  readonly #s: SqliteStatements
  readonly #updates = new Map<string, Statement>()

  constructor(db: Db, table: string, statements: SqliteStatements) {
    this.#db = db
    this.#table = table
    this.#s = statements
  }

  /**
   * Insert `record`; a taken id throws `DuplicateKeyIdError`. With `cap` (and an owner), the live
   * keys are counted in the same statement, and `LimitExceededError` is thrown when it inserted nothing.
   */
  insert(record: ApiKeyRecord, cap?: InsertCap): () => Database.RunResult {
    const capped = cap !== undefined && record.ownerId !== null ? cap : undefined
    const values = insertKeyValues(recordToRow(record), capped)
    const statement = capped === undefined ? this.#s.insert : this.#s.insertCapped
    return () => {
      let result: Database.RunResult
      try {
        result = statement.run(values)
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DuplicateKeyIdError(record.id)
        throw error
      }
      if (capped !== undefined && result.changes === 0) throw new LimitExceededError(record.ownerId!, capped.maxKeys)
      return result
    }
  }

  /**
   * Insert the records whose ids are new and append the audit entries of those (`append`, inside the
   * same transaction), as one IMMEDIATE transaction: which ids were inserted and which existed.
   */
  insertMany(
    records: readonly ApiKeyRecord[],
    audit: readonly AuditRecord[] | undefined,
    append: (entries: AuditRecord[]) => void,
  ): () => { inserted: string[]; duplicates: string[] } {
    const rows = records.map((r) => insertKeyValues(recordToRow(r)))
    const byKey = auditByKey(audit)
    const run = this.#db.transaction(() => {
      const inserted = rows.map((values) => this.#s.insertNew.get(values) !== undefined)
      append(records.flatMap((r, i) => (inserted[i] ? (byKey.get(r.id) ?? []) : [])))
      return insertManyResult(records, inserted)
    })
    return () => run.immediate()
  }

  /** Apply `patch` to key `id` (only at `expectedRevision` when given); the updated row, or undefined. */
  update(id: string, patch: ApiKeyPatch, expectedRevision: number | undefined): () => KeyRow | undefined {
    const fields = patchFields(patch)
    const conditional = expectedRevision !== undefined
    const params: Record<string, unknown> = { id }
    for (const f of fields) params[f] = encodePatchValue(f, patch)
    if (conditional) params.expectedRevision = expectedRevision
    return () => this.#updateStatement(fields, conditional).get(params) as KeyRow | undefined
  }

  /** One page of `query` plus one row (to tell whether more follow). */
  list(query: StoreListQuery): () => KeyRow[] {
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor)
    const statement = this.#s.list(query.ownerId !== undefined, query.prefix !== undefined, query.includeRevoked, after !== null)
    const params = {
      ownerId: query.ownerId ?? null,
      prefix: query.prefix ?? null,
      createdAt: after?.createdAt ?? null,
      afterId: after?.id ?? null,
      limit: query.limit + 1,
    }
    return () => statement.all(params) as KeyRow[]
  }

  /** The UPDATE for one set of patched fields, prepared on first use. */
  #updateStatement(fields: readonly (keyof ApiKeyPatch)[], conditional: boolean): Statement {
    const signature = `${fields.join(',')}|${conditional}`
    let statement = this.#updates.get(signature)
    if (statement === undefined) {
      const sets = fields.map((f) => `${PATCH_COLUMNS[f][0]} = @${f}`)
      sets.push('revision = revision + 1')
      statement = this.#db.prepare(
        `UPDATE ${q(this.#table)} SET ${sets.join(', ')} WHERE id = @id${conditional ? ' AND revision = @expectedRevision' : ''} RETURNING *`,
      )
      this.#updates.set(signature, statement)
    }
    return statement
  }
}
