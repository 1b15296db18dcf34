import type { ApiKeyPatch } from '@keyward/core/store'
import { qualified, type PgNames } from './names.js'
import { AUDIT_COLUMNS, auditArrayParams } from './analytics-rows.js'
import { INSERT_ARRAY_TYPES, INSERT_COLUMNS, PATCH_COLUMNS } from './rows.js'

/** A named (prepared per connection) statement. */
export interface Statement {
  name: string
  text: string
}

/** A prepared-statement name unique to the text (FNV-1a). */
export function statementName(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return `keyward_${(h >>> 0).toString(36)}_${text.length}`
}

const named = (text: string): Statement => ({ name: statementName(text), text })

export type Statements = ReturnType<typeof buildStatements>

/** The fixed statements of a store over `names`. */
export function buildStatements(names: PgNames) {
  const t = qualified(names)
  const counters = qualified(names, '_counters')
  const lists = new Map<string, Statement>()
  const updates = new Map<string, Statement>()
  const params = INSERT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')
  return {
    insert: named(`INSERT INTO ${t} (${INSERT_COLUMNS.join(', ')}) VALUES (${params})`),
    /**
     * The insert, made only while the owner has fewer live keys than the cap: parameters as `insert`,
     * then the cap and `now`. `_live_keys` holds the owner's lock to the end of the transaction.
     */
    insertCapped: named(
      `INSERT INTO ${t} (${INSERT_COLUMNS.join(', ')}) SELECT ${params}
       WHERE ${qualified(names, '_live_keys')}($${INSERT_COLUMNS.indexOf('owner_id') + 1}, $${INSERT_COLUMNS.length + 2}) < $${INSERT_COLUMNS.length + 1}`,
    ),
    /**
     * `insertMany` in one statement: of the rows in the column arrays $1… (`INSERT_ARRAY_TYPES`),
     * those whose ids are new, first occurrence first; then, from the audit column arrays after them
     * (`AUDIT_COLUMNS`), the entries of the keys it inserted. Returns the inserted ids.
     */
    insertMany: named(
      `WITH v AS (
         SELECT * FROM unnest(${INSERT_ARRAY_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})
           WITH ORDINALITY AS v(${INSERT_COLUMNS.join(', ')}, n)
       ), inserted AS (
         INSERT INTO ${t} (${INSERT_COLUMNS.join(', ')})
         SELECT ${INSERT_COLUMNS.map((c) => (c === 'scopes' ? 'ARRAY(SELECT jsonb_array_elements_text(v.scopes))' : `v.${c}`)).join(', ')}
         FROM v ORDER BY v.n
         ON CONFLICT (id) DO NOTHING RETURNING id
       ), logged AS (
         INSERT INTO ${qualified(names, '_audit')} (${AUDIT_COLUMNS.join(', ')})
         SELECT * FROM unnest(${auditArrayParams(INSERT_COLUMNS.length + 1)}) AS a(${AUDIT_COLUMNS.join(', ')})
         WHERE a.key_id IN (SELECT id FROM inserted)
       ) SELECT id FROM inserted`,
    ),
    findById: named(`SELECT * FROM ${t} WHERE id = $1`),
    delete: named(`DELETE FROM ${t} WHERE id = $1 RETURNING id`),
    /** Parameters in order: owner id (byOwner), prefix (byPrefix), cursor createdAt and id (after), limit. */
    list(byOwner: boolean, byPrefix: boolean, includeRevoked: boolean, after: boolean): Statement {
      const key = `${byOwner}${byPrefix}${includeRevoked}${after}`
      let statement = lists.get(key)
      if (statement === undefined) {
        let n = 0
        const where = [
          byOwner && `owner_id = $${++n}`,
          byPrefix && `prefix = $${++n}`,
          !includeRevoked && 'revoked_at IS NULL',
          after && `(created_at, id) < ($${++n}, $${++n})`,
        ].filter(Boolean)
        statement = named(
          `SELECT * FROM ${t}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT $${++n}`,
        )
        lists.set(key, statement)
      }
      return statement
    },
    /**
     * Sets `fields` and increments `revision`, returning the row. Parameters in order: id, the
     * expected revision (conditional), the fields' values.
     */
    update(fields: (keyof ApiKeyPatch)[], conditional: boolean): Statement {
      const key = `${fields.join(',')}|${conditional}`
      let statement = updates.get(key)
      if (statement === undefined) {
        const first = conditional ? 3 : 2
        const sets = fields.map((f, i) => `${PATCH_COLUMNS[f][0]} = $${first + i}`)
        sets.push('revision = revision + 1')
        statement = named(`UPDATE ${t} SET ${sets.join(', ')} WHERE id = $1${conditional ? ' AND revision = $2' : ''} RETURNING *`)
        updates.set(key, statement)
      }
      return statement
    },
    /**
     * $1 ids, $2 times, $3 client addresses (null when unknown): a later time replaces both. The rows
     * are locked in id order first: instances flush overlapping batches at once, and an UPDATE … FROM
     * locks in whatever order its join yields, so two of them could deadlock.
     */
    touch: named(
      `WITH v AS (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS v(id, at, from_addr)),
       locked AS (SELECT k.id FROM ${t} AS k JOIN v ON k.id = v.id
                  WHERE k.last_used_at IS NULL OR k.last_used_at < v.at ORDER BY k.id FOR UPDATE OF k)
       UPDATE ${t} AS k SET last_used_at = v.at, last_used_from = v.from_addr
       FROM v, locked WHERE k.id = v.id AND k.id = locked.id AND (k.last_used_at IS NULL OR k.last_used_at < v.at)`,
    ),
    increment: named(
      `INSERT INTO ${counters} AS c (slot, count, reset_at) VALUES ($1, $2, $3)
       ON CONFLICT (slot) DO UPDATE SET count = c.count + EXCLUDED.count
       RETURNING c.count::float8 AS count`,
    ),
    /** `reset_at` holds when a slot may be forgotten: one window after its end, for sliding limits. */
    sweepCounters: named(`DELETE FROM ${counters} WHERE reset_at <= $1`),
    /**
     * The credit rule of `spendFromCredits` in one statement: lock the row, apply a due refill,
     * spend when enough remains. $1 id, $2 cost, $3 now (epoch ms).
     */
    spend: named(
      `WITH cur AS (
         SELECT id, credits FROM ${t} WHERE id = $1 AND jsonb_typeof(credits) = 'object' FOR UPDATE
       ), base AS (
         SELECT id,
           (credits->>'remaining')::float8 AS remaining,
           CASE WHEN jsonb_typeof(credits->'refill') = 'object' THEN credits->'refill' END AS refill,
           COALESCE((credits->>'refilledAt')::float8, CASE WHEN jsonb_typeof(credits->'refill') = 'object' THEN $3::float8 END) AS last
         FROM cur
       ), due AS (
         SELECT id, remaining, refill, last,
           refill IS NOT NULL AND $3::float8 >= last + (refill->>'intervalMs')::float8 AS due
         FROM base
       ), refilled AS (
         SELECT id, refill,
           CASE WHEN due THEN (refill->>'amount')::float8 ELSE remaining END AS remaining,
           CASE WHEN due THEN last + floor(($3::float8 - last) / (refill->>'intervalMs')::float8) * (refill->>'intervalMs')::float8 ELSE last END AS refilled_at
         FROM due
       ), spent AS (
         SELECT id, refill, refilled_at, remaining >= $2::float8 AS ok,
           CASE WHEN remaining >= $2::float8 THEN remaining - $2::float8 ELSE remaining END AS remaining
         FROM refilled
       )
       UPDATE ${t} AS k SET credits = jsonb_build_object('remaining', s.remaining, 'refill', s.refill)
         || CASE WHEN s.refilled_at IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('refilledAt', s.refilled_at) END
       FROM spent s WHERE k.id = s.id
       RETURNING s.ok, s.remaining, CASE WHEN s.refill IS NULL THEN NULL ELSE s.refilled_at + (s.refill->>'intervalMs')::float8 END AS next_refill_at`,
    ),
  }
}
