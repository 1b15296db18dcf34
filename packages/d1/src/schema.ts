/** The D1 schema: versioned migrations, applied once per table, oldest first. */
import {
  sqliteAddLastUsedFromSql,
  sqliteAnalyticsSchema,
  sqliteImportSchema,
  sqliteRulesSchema,
  sqliteUsageBatchesSchema,
} from '@keyward/core/store'

/** A SQL identifier, quoted. Table names are checked when the store is built. */
export const q = (name: string): string => `"${name}"`

/** The statements of each migration, for table `t`. Never edit one that has shipped: add a new one. */
const MIGRATIONS: readonly { version: number; name: string; statements: (t: string) => string[] }[] = [
  {
    version: 1,
    name: 'create keys and counters',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${q(t)} (
  id TEXT PRIMARY KEY NOT NULL, prefix TEXT NOT NULL, digest TEXT NOT NULL, algorithm TEXT NOT NULL, pepper_id TEXT,
  hint TEXT NOT NULL, name TEXT NOT NULL, owner_id TEXT, scopes TEXT NOT NULL, metadata TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, expires_at INTEGER, disabled_at INTEGER, revoked_at INTEGER,
  last_used_at INTEGER, rotated_from_id TEXT, rotated_to_id TEXT, rate_limit TEXT, credits TEXT,
  revision INTEGER NOT NULL DEFAULT 0, spend_ok INTEGER)`,
      `CREATE INDEX IF NOT EXISTS ${q(`${t}_created_idx`)} ON ${q(t)} (created_at DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS ${q(`${t}_owner_idx`)} ON ${q(t)} (owner_id, created_at DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS ${q(`${t}_prefix_idx`)} ON ${q(t)} (prefix, created_at DESC, id DESC)`,
      `CREATE TABLE IF NOT EXISTS ${q(`${t}_counters`)} (slot TEXT PRIMARY KEY NOT NULL, count INTEGER NOT NULL, reset_at INTEGER NOT NULL)`,
      `CREATE INDEX IF NOT EXISTS ${q(`${t}_counters_reset_idx`)} ON ${q(`${t}_counters`)} (reset_at)`,
    ],
  },
  { version: 2, name: 'usage counts, audit log, notification ledger and leases', statements: sqliteAnalyticsSchema },
  { version: 3, name: 'client address of the last use', statements: (t) => [sqliteAddLastUsedFromSql(t)] },
  { version: 4, name: 'applied usage batch ids', statements: sqliteUsageBatchesSchema },
  {
    version: 5,
    name: 'access rules: named limits, not-before, roles, allowed addresses, owners',
    // `<t>_charges` holds one row while a charge's batch runs: its admission, which the writes after it read.
    statements: (t) => [
      ...sqliteRulesSchema(t),
      `CREATE TABLE IF NOT EXISTS ${q(`${t}_charges`)} (id TEXT PRIMARY KEY NOT NULL, ok INTEGER NOT NULL, seen TEXT NOT NULL)`,
    ],
  },
  { version: 6, name: 'imported keys: import time, legacy hash', statements: sqliteImportSchema },
]

/** The newest schema version this package knows. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/** The migrations table of `t`. */
export const migrationsTable = (t: string): string => `${t}_migrations`

/** The statements that bring `table` from schema `from` to the latest, noting each migration at `appliedAt`. */
export function migrationStatements(table: string, from = 0, appliedAt = 0): string[] {
  const m = q(migrationsTable(table))
  return [
    `CREATE TABLE IF NOT EXISTS ${m} (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
    ...MIGRATIONS.filter((migration) => migration.version > from).flatMap((migration) => [
      ...migration.statements(table),
      `INSERT OR IGNORE INTO ${m} (version, name, applied_at) VALUES (${migration.version}, '${migration.name}', ${appliedAt})`,
    ]),
  ]
}

/**
 * The SQL that creates the latest schema for `table`, to apply with `wrangler d1 execute` when the
 * store runs with `migrate: false`.
 * @example writeFileSync('keyward.sql', d1MigrationSql('keyward_keys')) // then: wrangler d1 execute DB --file keyward.sql
 */
export function d1MigrationSql(table = 'keyward_keys'): string {
  return migrationStatements(table)
    .map((statement) => `${statement};`)
    .join('\n')
}

/**
 * Spend `?2` credits of key `?1` at time `?3` in one statement (so concurrent spends never lose one):
 * refill when due, spend when enough is left, and note in `spend_ok` whether it was. The same rules
 * as core's `spendFromCredits`, in SQL.
 */
export function spendSql(t: string): string {
  return `UPDATE ${q(t)} SET (credits, spend_ok) = (
  SELECT CASE WHEN iv IS NULL THEN json_set(cr, '$.remaining', r2) ELSE json_set(cr, '$.remaining', r2, '$.refilledAt', ra1) END, ok
  FROM (SELECT cr, iv, ra1, ok, CASE WHEN ok THEN r1 - ?2 ELSE r1 END AS r2
    FROM (SELECT cr, iv, r1, ra1, (r1 >= ?2) AS ok
      FROM (SELECT cr, iv, CASE WHEN due THEN amt ELSE r END AS r1,
              CASE WHEN iv IS NULL THEN NULL WHEN due THEN last + CAST((?3 - last) / iv AS INTEGER) * iv ELSE last END AS ra1
        FROM (SELECT cr, r, amt, iv, last, (iv IS NOT NULL AND ?3 >= last + iv) AS due
          FROM (SELECT ${q(t)}.credits AS cr, json_extract(${q(t)}.credits, '$.remaining') AS r,
                  json_extract(${q(t)}.credits, '$.refill.amount') AS amt, json_extract(${q(t)}.credits, '$.refill.intervalMs') AS iv,
                  COALESCE(json_extract(${q(t)}.credits, '$.refilledAt'), ?3) AS last))))))
WHERE id = ?1 AND credits IS NOT NULL
RETURNING credits, spend_ok`
}
