import { renameOptions } from '@keyward/core/store'
import { CHANNEL, ident, type PgNames, qualified } from './names.js'
import { rulesMigrationSql } from './rules-migration.js'
import { changedBeyond } from './triggers.js'

/** One versioned schema change. Applied in order, each version once, inside a transaction. */
export interface PostgresMigration {
  version: number
  name: string
  sql: (names: PgNames) => string
}

/** The columns of the last recorded use, written on the hot path (version 2: the time only). */
const LAST_USED_V2 = ['last_used_at']

/**
 * The update trigger: it notifies when any column changes (columns added later included) except
 * `lastUsed` and the balance (`remaining`, `refilledAt`) inside `credits`, which Keyward's hot path
 * writes and reads live from the store, never from a cache.
 */
function updateTrigger(n: PgNames, lastUsed: string[]): string {
  const t = qualified(n)
  return `DROP TRIGGER IF EXISTS ${ident(`${n.table}_notify_update`)} ON ${t};
CREATE TRIGGER ${ident(`${n.table}_notify_update`)} AFTER UPDATE ON ${t}
  FOR EACH ROW WHEN (${changedBeyond(lastUsed)}) EXECUTE FUNCTION ${qualified(n, '_notify')}();`
}

/** The migrations of this package, oldest first. Never edit one that has shipped: add a new one. */
export const MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'create keys, notifications and counters',
    sql: (n) => {
      const t = qualified(n)
      return `
CREATE TABLE ${t} (
  id text COLLATE "C" PRIMARY KEY,
  prefix text NOT NULL,
  digest text NOT NULL,
  algorithm text NOT NULL,
  pepper_id text,
  hint text NOT NULL,
  name text NOT NULL,
  owner_id text,
  scopes text[] NOT NULL,
  metadata json NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  expires_at timestamptz,
  disabled_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz,
  rotated_from_id text,
  rotated_to_id text,
  rate_limit jsonb,
  credits jsonb,
  revision integer NOT NULL DEFAULT 0
);
CREATE INDEX ${ident(`${n.table}_created_idx`)} ON ${t} (created_at DESC, id DESC);
CREATE INDEX ${ident(`${n.table}_owner_idx`)} ON ${t} (owner_id, created_at DESC, id DESC);
CREATE FUNCTION ${qualified(n, '_notify')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('${CHANNEL}', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME || ':' || OLD.id);
  ELSE
    PERFORM pg_notify('${CHANNEL}', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME || ':' || NEW.id);
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER ${ident(`${n.table}_notify_insert_delete`)} AFTER INSERT OR DELETE ON ${t}
  FOR EACH ROW EXECUTE FUNCTION ${qualified(n, '_notify')}();
CREATE TRIGGER ${ident(`${n.table}_notify_update`)} AFTER UPDATE ON ${t}
  FOR EACH ROW WHEN (OLD.revision IS DISTINCT FROM NEW.revision) EXECUTE FUNCTION ${qualified(n, '_notify')}();
CREATE UNLOGGED TABLE ${qualified(n, '_counters')} (
  slot text PRIMARY KEY,
  count bigint NOT NULL,
  reset_at bigint NOT NULL
);
CREATE INDEX ${ident(`${n.table}_counters_reset_idx`)} ON ${qualified(n, '_counters')} (reset_at);
`
    },
  },
  {
    version: 2,
    name: 'notify every change, index by deployment prefix',
    // The update trigger of version 1 fired only when `revision` changed, so a change made outside
    // Keyward (`UPDATE … SET revoked_at = now()` in psql) reached no cache. Now any column notifies
    // (columns added later included) but the ones Keyward's hot path writes and reads live from
    // the store, never from a cache: `last_used_at`, and the balance (`remaining`, `refilledAt`)
    // inside `credits`. An id changed by hand notifies the old id as well.
    sql: (n) => {
      const t = qualified(n)
      return `
CREATE OR REPLACE FUNCTION ${qualified(n, '_notify')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('${CHANNEL}', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME || ':' || OLD.id);
  ELSE
    PERFORM pg_notify('${CHANNEL}', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME || ':' || NEW.id);
    IF TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id THEN
      PERFORM pg_notify('${CHANNEL}', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME || ':' || OLD.id);
    END IF;
  END IF;
  RETURN NULL;
END
$fn$;
${updateTrigger(n, LAST_USED_V2)}
CREATE INDEX ${ident(`${n.table}_prefix_idx`)} ON ${t} (prefix, created_at DESC, id DESC);
`
    },
  },
  {
    version: 3,
    name: 'usage counts, audit log, notification ledger, leases',
    // A usage row without owner keeps '' (owner ids are never empty) so the bucket identity is a
    // primary key `ON CONFLICT` can name. Logged tables: counts and deliveries survive a restart.
    sql: (n) => {
      const [u, a, nt, l] = ['_usage', '_audit', '_notifications', '_leases'].map((s) => qualified(n, s))
      const i = (suffix: string) => ident(`${n.table}${suffix}`)
      return `
CREATE TABLE ${u} (
  prefix text COLLATE "C" NOT NULL,
  granularity text COLLATE "C" NOT NULL CHECK (granularity IN ('minute', 'hour', 'day')),
  start timestamptz NOT NULL,
  key_id text COLLATE "C" NOT NULL,
  owner_id text COLLATE "C" NOT NULL,
  outcome text COLLATE "C" NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (prefix, granularity, start, key_id, owner_id, outcome)
);
CREATE INDEX ${i('_usage_key_idx')} ON ${u} (prefix, granularity, key_id, start);
CREATE INDEX ${i('_usage_owner_idx')} ON ${u} (prefix, granularity, owner_id, start);
CREATE INDEX ${i('_usage_prune_idx')} ON ${u} (granularity, start);
CREATE TABLE ${a} (
  id text COLLATE "C" PRIMARY KEY,
  at timestamptz NOT NULL,
  action text NOT NULL,
  prefix text NOT NULL,
  key_id text,
  owner_id text,
  actor jsonb,
  fields jsonb
);
CREATE INDEX ${i('_audit_prefix_idx')} ON ${a} (prefix, at DESC, id DESC);
CREATE INDEX ${i('_audit_key_idx')} ON ${a} (key_id, at DESC, id DESC);
CREATE INDEX ${i('_audit_owner_idx')} ON ${a} (owner_id, at DESC, id DESC);
CREATE INDEX ${i('_audit_at_idx')} ON ${a} (at);
CREATE TABLE ${nt} (
  id text COLLATE "C" PRIMARY KEY,
  type text NOT NULL,
  key_id text,
  payload text NOT NULL,
  created_at timestamptz NOT NULL,
  pending boolean NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  claimed_until timestamptz,
  claimed_by text,
  last_error text
);
CREATE INDEX ${i('_notif_due_idx')} ON ${nt} (created_at, id) WHERE pending;
CREATE INDEX ${i('_notif_done_idx')} ON ${nt} (created_at) WHERE NOT pending;
CREATE TABLE ${l} (
  name text PRIMARY KEY,
  holder text NOT NULL,
  until timestamptz NOT NULL
);
`
    },
  },
  {
    version: 4,
    name: 'client address of the last use',
    // Written with `last_used_at` by `touch`, so, like it, a change of it alone notifies no one.
    sql: (n) => `
ALTER TABLE ${qualified(n)} ADD COLUMN last_used_from text;
${updateTrigger(n, [...LAST_USED_V2, 'last_used_from'])}
`,
  },
  {
    version: 5,
    name: 'applied usage batch ids',
    // `addUsage(increments, batchId)` records the id here in the statement that adds the batch, so a
    // retried batch counts once. `minute` (epoch ms) is the batch's earliest minute: `pruneUsage`
    // forgets the id with that minute's buckets.
    sql: (n) => `
CREATE TABLE ${qualified(n, '_usage_batches')} (
  id text COLLATE "C" PRIMARY KEY,
  minute bigint NOT NULL
);
CREATE INDEX ${ident(`${n.table}_usage_batches_minute_idx`)} ON ${qualified(n, '_usage_batches')} (minute);
`,
  },
  {
    version: 6,
    name: 'access rules: key fields, owners, capped inserts, atomic charges',
    sql: rulesMigrationSql,
  },
  {
    version: 7,
    name: 'imported keys: import time, legacy hash',
    // `algorithm` is plain text (no CHECK), so the legacy algorithms need no change; the update
    // trigger compares whole rows, so it covers the new columns as they are.
    sql: (n) => `
ALTER TABLE ${qualified(n)}
  ADD COLUMN imported_at timestamptz,
  ADD COLUMN legacy_hash text;
`,
  },
]

/** The newest schema version this package knows. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/** Default table name. */
export const DEFAULT_TABLE = 'keyward_keys'
/** Default schema. */
export const DEFAULT_SCHEMA = 'public'

export const createMigrationsTableSql = (n: PgNames): string =>
  `CREATE SCHEMA IF NOT EXISTS ${ident(n.schema)};
CREATE TABLE IF NOT EXISTS ${qualified(n, '_migrations')} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());`

/**
 * The schema as one SQL script, for teams that migrate by hand (psql, Flyway, a migration tool).
 * Applies the migrations after `fromVersion` (default: all) in one transaction and records them,
 * so the store finds them applied.
 *
 * @example
 * import { writeFileSync } from 'node:fs'
 * writeFileSync('migrations/V1__keyward.sql', postgresMigrationSql({ namespace: 'auth' }))
 */
export function postgresMigrationSql(
  options: {
    /** The PostgreSQL schema, as the store's `namespace` option. @default 'public' */
    namespace?: string
    table?: string
    fromVersion?: number
    /** @deprecated Renamed `namespace`; accepted, with a warning, until the next release. */
    schema?: string
  } = {},
): string {
  const { namespace, table, fromVersion } = renameOptions('@keyward/postgres', options, { schema: ['namespace'] })
  const names = { schema: namespace ?? DEFAULT_SCHEMA, table: table ?? DEFAULT_TABLE }
  const parts = [createMigrationsTableSql(names)]
  for (const m of MIGRATIONS) {
    if (m.version <= (fromVersion ?? 0)) continue
    parts.push(`-- ${m.version}: ${m.name}`, m.sql(names).trim())
    parts.push(`INSERT INTO ${qualified(names, '_migrations')} (version, name) VALUES (${m.version}, '${m.name.replace(/'/g, "''")}');`)
  }
  return `BEGIN;\n${parts.join('\n')}\nCOMMIT;\n`
}
