import {
  sqliteAddLastUsedFromSql,
  sqliteAnalyticsSchema,
  sqliteImportSchema,
  sqliteRulesSchema,
  sqliteUsageBatchesSchema,
} from '@keyward/core/store'

/** One versioned schema change. Applied in order; each version once. */
export interface SqliteMigration {
  version: number
  name: string
  /** SQL for the given table name. */
  sql: (table: string) => string
}

/** A SQL identifier, quoted. Table names are checked when the store is built. */
export const q = (name: string): string => `"${name}"`

/** The migrations of this package, oldest first. Never edit one that has shipped: add a new one. */
export const MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'create keys, change log and counters',
    sql: (t) => `
CREATE TABLE ${q(t)} (
  id TEXT PRIMARY KEY NOT NULL,
  prefix TEXT NOT NULL,
  digest TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  pepper_id TEXT,
  hint TEXT NOT NULL,
  name TEXT NOT NULL,
  owner_id TEXT,
  scopes TEXT NOT NULL,
  metadata TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER,
  disabled_at INTEGER,
  revoked_at INTEGER,
  last_used_at INTEGER,
  rotated_from_id TEXT,
  rotated_to_id TEXT,
  rate_limit TEXT,
  credits TEXT,
  revision INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ${q(`${t}_created_idx`)} ON ${q(t)} (created_at DESC, id DESC);
CREATE INDEX ${q(`${t}_owner_idx`)} ON ${q(t)} (owner_id, created_at DESC, id DESC);
CREATE TABLE ${q(`${t}_changes`)} (seq INTEGER PRIMARY KEY AUTOINCREMENT, key_id TEXT NOT NULL);
CREATE TRIGGER ${q(`${t}_notify_insert`)} AFTER INSERT ON ${q(t)} BEGIN
  INSERT INTO ${q(`${t}_changes`)} (key_id) VALUES (NEW.id);
  DELETE FROM ${q(`${t}_changes`)} WHERE seq <= last_insert_rowid() - 10000;
END;
CREATE TRIGGER ${q(`${t}_notify_update`)} AFTER UPDATE ON ${q(t)} WHEN OLD.revision IS NOT NEW.revision BEGIN
  INSERT INTO ${q(`${t}_changes`)} (key_id) VALUES (NEW.id);
  DELETE FROM ${q(`${t}_changes`)} WHERE seq <= last_insert_rowid() - 10000;
END;
CREATE TRIGGER ${q(`${t}_notify_delete`)} AFTER DELETE ON ${q(t)} BEGIN
  INSERT INTO ${q(`${t}_changes`)} (key_id) VALUES (OLD.id);
  DELETE FROM ${q(`${t}_changes`)} WHERE seq <= last_insert_rowid() - 10000;
END;
CREATE TABLE ${q(`${t}_counters`)} (slot TEXT PRIMARY KEY NOT NULL, count INTEGER NOT NULL, reset_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX ${q(`${t}_counters_reset_idx`)} ON ${q(`${t}_counters`)} (reset_at);
`,
  },
  {
    version: 2,
    name: 'notify every change, index by deployment prefix',
    // The update trigger of version 1 fired only when `revision` changed, so a change made outside
    // Keyward (`UPDATE … SET revoked_at = …` in sqlite3) reached no cache. Now any column notifies
    // but the ones Keyward's hot path writes and reads live from the store, never from a cache:
    // `last_used_at`, and the balance (`remaining`, `refilledAt`) inside `credits`. A migration
    // that adds a column must recreate this trigger with it.
    sql: (t) => `
DROP TRIGGER IF EXISTS ${q(`${t}_notify_update`)};
CREATE TRIGGER ${q(`${t}_notify_update`)} AFTER UPDATE ON ${q(t)} WHEN
  (OLD.id, OLD.prefix, OLD.digest, OLD.algorithm, OLD.pepper_id, OLD.hint, OLD.name, OLD.owner_id, OLD.scopes, OLD.metadata,
   OLD.created_at, OLD.updated_at, OLD.expires_at, OLD.disabled_at, OLD.revoked_at, OLD.rotated_from_id, OLD.rotated_to_id,
   OLD.rate_limit, OLD.revision, ${creditTerms('OLD')})
  IS NOT
  (NEW.id, NEW.prefix, NEW.digest, NEW.algorithm, NEW.pepper_id, NEW.hint, NEW.name, NEW.owner_id, NEW.scopes, NEW.metadata,
   NEW.created_at, NEW.updated_at, NEW.expires_at, NEW.disabled_at, NEW.revoked_at, NEW.rotated_from_id, NEW.rotated_to_id,
   NEW.rate_limit, NEW.revision, ${creditTerms('NEW')})
BEGIN
  INSERT INTO ${q(`${t}_changes`)} (key_id) VALUES (NEW.id);
  DELETE FROM ${q(`${t}_changes`)} WHERE seq <= last_insert_rowid() - 10000;
  -- an id changed by hand: the old id's cache entry must go too
  INSERT INTO ${q(`${t}_changes`)} (key_id) SELECT OLD.id WHERE OLD.id IS NOT NEW.id;
END;
CREATE INDEX ${q(`${t}_prefix_idx`)} ON ${q(t)} (prefix, created_at DESC, id DESC);
`,
  },
  {
    version: 3,
    name: 'usage counts, audit log, notification ledger and leases',
    sql: (t) => `${sqliteAnalyticsSchema(t).join(';\n')};\n`,
  },
  {
    version: 4,
    name: 'client address of the last use',
    // Written with `last_used_at` on the hot path; like it, left out of the update trigger of
    // version 2 (which names its columns), so a touch notifies no cache.
    sql: (t) => `${sqliteAddLastUsedFromSql(t)};\n`,
  },
  {
    version: 5,
    name: 'applied usage batch ids',
    // A usage batch retried after a lost reply is applied once (`addUsage` with a batch id).
    sql: (t) => `${sqliteUsageBatchesSchema(t).join(';\n')};\n`,
  },
  {
    version: 6,
    name: 'access rules: named limits, not-before, roles, allowed addresses, owners',
    // The update trigger gains the new columns; owners notify `owner:<id>` through the same change
    // log, but not when only their credit balance moved (as keys). Counters carry `keep_until`.
    sql: (t) => `${sqliteRulesSchema(t).join(';\n')};
${keysUpdateTrigger(t, RULES_COLUMNS)}
CREATE TRIGGER ${q(`${t}_owners_notify_insert`)} AFTER INSERT ON ${q(`${t}_owners`)} BEGIN
  INSERT INTO ${q(`${t}_changes`)} (key_id) VALUES ('owner:' || NEW.id);
  DELETE FROM ${q(`${t}_changes`)} WHERE seq <= last_insert_rowid() - 10000;
END;
CREATE TRIGGER ${q(`${t}_owners_notify_update`)} AFTER UPDATE ON ${q(`${t}_owners`)} WHEN
  (OLD.id, OLD.rate_limits, OLD.max_keys, OLD.scopes, OLD.allowed_ips, OLD.created_at, OLD.updated_at, OLD.revision, ${creditTerms('OLD')})
  IS NOT
  (NEW.id, NEW.rate_limits, NEW.max_keys, NEW.scopes, NEW.allowed_ips, NEW.created_at, NEW.updated_at, NEW.revision, ${creditTerms('NEW')})
BEGIN
  INSERT INTO ${q(`${t}_changes`)} (key_id) VALUES ('owner:' || NEW.id);
  DELETE FROM ${q(`${t}_changes`)} WHERE seq <= last_insert_rowid() - 10000;
  INSERT INTO ${q(`${t}_changes`)} (key_id) SELECT 'owner:' || OLD.id WHERE OLD.id IS NOT NEW.id;
END;
CREATE TRIGGER ${q(`${t}_owners_notify_delete`)} AFTER DELETE ON ${q(`${t}_owners`)} BEGIN
  INSERT INTO ${q(`${t}_changes`)} (key_id) VALUES ('owner:' || OLD.id);
  DELETE FROM ${q(`${t}_changes`)} WHERE seq <= last_insert_rowid() - 10000;
END;
`,
  },
  {
    version: 7,
    name: 'imported keys: import time, legacy hash',
    // The update trigger gains the new columns (a legacy hash is dropped when the key is re-digested).
    sql: (t) => `${sqliteImportSchema(t).join(';\n')};
${keysUpdateTrigger(t, [...RULES_COLUMNS, 'imported_at', 'legacy_hash'])}
`,
  },
]

/** The columns added by version 6, which its update trigger names after the balance-free credits. */
const RULES_COLUMNS = ['rate_limits', 'not_before', 'roles', 'allowed_ips']

/**
 * The update trigger of keys table `t` since version 6: any change notifies but one of `last_used_at`,
 * `last_used_from` or the credit balance; `added` are the columns of later versions, named after the
 * balance-free credits. An id changed by hand notifies the old id too.
 */
function keysUpdateTrigger(t: string, added: string[]): string {
  const row = (
    r: 'OLD' | 'NEW',
  ) => `(${r}.id, ${r}.prefix, ${r}.digest, ${r}.algorithm, ${r}.pepper_id, ${r}.hint, ${r}.name, ${r}.owner_id, ${r}.scopes, ${r}.metadata,
   ${r}.created_at, ${r}.updated_at, ${r}.expires_at, ${r}.disabled_at, ${r}.revoked_at, ${r}.rotated_from_id, ${r}.rotated_to_id,
   ${r}.rate_limit, ${r}.revision, ${creditTerms(r)}${added.map((c) => `, ${r}.${c}`).join('')})`
  return `DROP TRIGGER IF EXISTS ${q(`${t}_notify_update`)};
CREATE TRIGGER ${q(`${t}_notify_update`)} AFTER UPDATE ON ${q(t)} WHEN
  ${row('OLD')}
  IS NOT
  ${row('NEW')}
BEGIN
  INSERT INTO ${q(`${t}_changes`)} (key_id) VALUES (NEW.id);
  DELETE FROM ${q(`${t}_changes`)} WHERE seq <= last_insert_rowid() - 10000;
  INSERT INTO ${q(`${t}_changes`)} (key_id) SELECT OLD.id WHERE OLD.id IS NOT NEW.id;
END;`
}

/** `credits` without the balance Keyward spends on the hot path (any text that is not JSON as it is). */
function creditTerms(row: 'OLD' | 'NEW'): string {
  return `CASE WHEN json_valid(${row}.credits) THEN json_remove(${row}.credits, '$.remaining', '$.refilledAt') ELSE ${row}.credits END`
}

/** The newest schema version this package knows. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

export const migrationsTable = (table: string): string => `${table}_migrations`

export const createMigrationsTableSql = (table: string): string =>
  `CREATE TABLE IF NOT EXISTS ${q(migrationsTable(table))} (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL);`

/**
 * The whole schema as one SQL script, for teams that migrate by hand. Applies the migrations
 * after `fromVersion` (default: all) and records them, so the store then finds them applied.
 *
 * @example
 * import { writeFileSync } from 'node:fs'
 * writeFileSync('migrations/0001_keyward.sql', sqliteMigrationSql())
 */
export function sqliteMigrationSql(options: { table?: string; fromVersion?: number } = {}): string {
  const table = options.table ?? DEFAULT_TABLE
  const from = options.fromVersion ?? 0
  const parts = [createMigrationsTableSql(table)]
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue
    parts.push(`-- ${m.version}: ${m.name}`, m.sql(table).trim())
    parts.push(
      `INSERT INTO ${q(migrationsTable(table))} (version, name, applied_at) VALUES (${m.version}, '${m.name.replace(/'/g, "''")}', CAST(unixepoch('subsec') * 1000 AS INTEGER));`,
    )
  }
  return `BEGIN;\n${parts.join('\n')}\nCOMMIT;\n`
}

/** Default table name. */
export const DEFAULT_TABLE = 'keyward_keys'
