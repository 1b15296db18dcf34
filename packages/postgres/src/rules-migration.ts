import { CHANNEL, ident, type PgNames, qualified } from './names.js'
import { changedBeyond } from './triggers.js'

/** A string literal. */
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`

/**
 * Migration 6 (access rules): the four new record fields on the keys table (old rows read back with
 * `roles: []` and the others null); the `_owners` table, notifying `owner:<id>` on a change but not
 * on a change of its credit balance alone; `_live_keys`, the owner-locked count behind capped
 * inserts; and `_charge`, the all-or-nothing charge.
 */
export function rulesMigrationSql(n: PgNames): string {
  const [t, o] = [qualified(n), qualified(n, '_owners')]
  const notifyOwner = qualified(n, '_owners_notify')
  return `
ALTER TABLE ${t}
  ADD COLUMN rate_limits jsonb,
  ADD COLUMN not_before timestamptz,
  ADD COLUMN roles jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN allowed_ips jsonb;
CREATE TABLE ${o} (
  id text COLLATE "C" PRIMARY KEY,
  rate_limits jsonb NOT NULL DEFAULT '[]',
  credits jsonb,
  max_keys integer,
  scopes jsonb,
  allowed_ips jsonb,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  revision integer NOT NULL DEFAULT 0
);
CREATE FUNCTION ${notifyOwner}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify('${CHANNEL}', TG_TABLE_SCHEMA || '.' || ${literal(`${n.table}:owner:`)} || OLD.id);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM pg_notify('${CHANNEL}', TG_TABLE_SCHEMA || '.' || ${literal(`${n.table}:owner:`)} || NEW.id);
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER ${ident(`${n.table}_owners_notify_insert_delete`)} AFTER INSERT OR DELETE ON ${o}
  FOR EACH ROW EXECUTE FUNCTION ${notifyOwner}();
CREATE TRIGGER ${ident(`${n.table}_owners_notify_update`)} AFTER UPDATE ON ${o}
  FOR EACH ROW WHEN (${changedBeyond([])}) EXECUTE FUNCTION ${notifyOwner}();
${liveKeysFunction(n)}
${chargeFunction(n)}`
}

/**
 * `_live_keys(owner, now)`: takes the owner's transaction-scoped advisory lock, then counts its live
 * keys. A volatile function's query takes a fresh snapshot after the lock, so it sees every capped
 * insert committed by the transaction that held the lock before; the caller inserts in the same
 * transaction, which keeps the lock until it commits.
 */
function liveKeysFunction(n: PgNames): string {
  return `CREATE FUNCTION ${qualified(n, '_live_keys')}(p_owner text, p_now timestamptz) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(${literal(`${n.schema}.${n.table}:owner:`)} || p_owner));
  RETURN (SELECT count(*) FROM ${qualified(n)}
    WHERE owner_id = p_owner AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > p_now));
END
$fn$;`
}

/**
 * `_charge(charges, now)`: `KeyStore.charge` in one call, the rule of core's `applyCharges`. Counter
 * charges come with their slots computed by the store (`slot`, `previousSlot` for sliding limits,
 * `resetAt`, `keepUntil`). Rows are locked in one order (counter slots, then keys, then owners, each
 * by id), so concurrent charges queue instead of deadlocking; a refused charge writes nothing.
 */
function chargeFunction(n: PgNames): string {
  const [t, o, c] = [qualified(n), qualified(n, '_owners'), qualified(n, '_counters')]
  const counterCharges = `jsonb_array_elements(p_charges) e WHERE e->>'type' = 'counter' AND (e->>'amount')::float8 > 0`
  const holders = (holder: string) =>
    `SELECT e->>'id' FROM jsonb_array_elements(p_charges) e WHERE e->>'type' = 'credits' AND e->>'holder' = '${holder}'`
  return `CREATE FUNCTION ${qualified(n, '_charge')}(p_charges jsonb, p_now float8) RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_charge jsonb;
  v_counts jsonb;
  v_previous float8;
  v_count float8;
  v_carried float8;
  v_amount float8;
  v_admits boolean;
  v_ok boolean := true;
  v_states jsonb := '[]';
  v_seen jsonb := '[]';
  v_credits jsonb;
  v_remaining float8;
  v_refill jsonb;
  v_interval float8;
  v_last float8;
  v_refilled_at float8;
  v_cost float8;
  v_key_writes jsonb := '{}';
  v_owner_writes jsonb := '{}';
BEGIN
  -- Counter rows to charge exist (count 0 when new), then are locked with the ones to read, in slot order.
  INSERT INTO ${c} (slot, count, reset_at)
    SELECT (e->>'slot') COLLATE "C", 0, max((e->>'keepUntil')::bigint) FROM ${counterCharges}
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (slot) DO NOTHING;
  SELECT COALESCE(jsonb_object_agg(l.slot, l.count), '{}') INTO v_counts FROM (
    SELECT slot, count FROM ${c}
    WHERE slot IN (SELECT e->>'slot' FROM jsonb_array_elements(p_charges) e WHERE e->>'type' = 'counter')
    ORDER BY slot COLLATE "C" FOR NO KEY UPDATE
  ) l;
  PERFORM 1 FROM ${t} WHERE id IN (${holders('key')}) ORDER BY id FOR NO KEY UPDATE;
  PERFORM 1 FROM ${o} WHERE id IN (${holders('owner')}) ORDER BY id FOR NO KEY UPDATE;
  -- What each charge sees: v_states if all admit, v_seen (nothing spent) if one refuses.
  FOR v_charge IN SELECT x.e FROM jsonb_array_elements(p_charges) WITH ORDINALITY AS x(e, n) ORDER BY x.n LOOP
    IF v_charge->>'type' = 'counter' THEN
      v_count := COALESCE((v_counts->>(v_charge->>'slot'))::float8, 0);
      v_carried := 0;
      IF v_charge->>'algorithm' = 'sliding' THEN
        SELECT count INTO v_previous FROM ${c} WHERE slot = v_charge->>'previousSlot';
        IF COALESCE(v_previous, 0) <> 0 THEN
          v_carried := (v_previous * ((v_charge->>'resetAt')::float8 - p_now)) / (v_charge->>'windowMs')::float8;
        END IF;
      END IF;
      v_amount := (v_charge->>'amount')::float8;
      v_admits := v_carried + v_count + v_amount <= (v_charge->>'limit')::float8;
      v_ok := v_ok AND v_admits;
      v_states := v_states || jsonb_build_array(jsonb_build_object('type', 'counter', 'ok', v_admits,
        'count', ceil(v_carried + v_count + CASE WHEN v_admits THEN v_amount ELSE 0 END), 'resetAt', v_charge->'resetAt'));
      v_seen := v_seen || jsonb_build_array(jsonb_build_object('type', 'counter', 'ok', v_admits,
        'count', CASE WHEN v_admits THEN ceil(ceil(v_carried + v_count + v_amount) - v_amount) ELSE ceil(v_carried + v_count) END,
        'resetAt', v_charge->'resetAt'));
    ELSE
      IF v_charge->>'holder' = 'key' THEN
        SELECT credits INTO v_credits FROM ${t} WHERE id = v_charge->>'id';
      ELSE
        SELECT credits INTO v_credits FROM ${o} WHERE id = v_charge->>'id';
      END IF;
      IF v_credits IS NULL OR jsonb_typeof(v_credits) <> 'object' THEN
        v_states := v_states || jsonb_build_array(NULL::jsonb);
        v_seen := v_seen || jsonb_build_array(NULL::jsonb);
        CONTINUE;
      END IF;
      -- spendFromCredits: a due refill first, then the cost when enough remains.
      v_cost := (v_charge->>'cost')::float8;
      v_remaining := (v_credits->>'remaining')::float8;
      v_refill := CASE WHEN jsonb_typeof(v_credits->'refill') = 'object' THEN v_credits->'refill' END;
      v_refilled_at := (v_credits->>'refilledAt')::float8;
      IF v_refill IS NOT NULL THEN
        v_interval := (v_refill->>'intervalMs')::float8;
        v_last := COALESCE(v_refilled_at, p_now);
        IF p_now >= v_last + v_interval THEN
          v_remaining := (v_refill->>'amount')::float8;
          v_refilled_at := v_last + floor((p_now - v_last) / v_interval) * v_interval;
        ELSE
          v_refilled_at := v_last;
        END IF;
      END IF;
      v_admits := v_remaining >= v_cost;
      v_ok := v_ok AND v_admits;
      v_states := v_states || jsonb_build_array(jsonb_build_object('type', 'credits', 'ok', v_admits,
        'remaining', CASE WHEN v_admits THEN v_remaining - v_cost ELSE v_remaining END,
        'nextRefillAt', CASE WHEN v_refill IS NULL THEN NULL ELSE v_refilled_at + v_interval END));
      v_seen := v_seen || jsonb_build_array(jsonb_build_object('type', 'credits', 'ok', v_admits, 'remaining', v_remaining,
        'nextRefillAt', CASE WHEN v_refill IS NULL THEN NULL ELSE v_refilled_at + v_interval END));
      v_credits := jsonb_build_object('remaining', CASE WHEN v_admits THEN v_remaining - v_cost ELSE v_remaining END, 'refill', v_refill)
        || CASE WHEN v_refilled_at IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('refilledAt', v_refilled_at) END;
      IF v_charge->>'holder' = 'key' THEN
        v_key_writes := v_key_writes || jsonb_build_object(v_charge->>'id', v_credits);
      ELSE
        v_owner_writes := v_owner_writes || jsonb_build_object(v_charge->>'id', v_credits);
      END IF;
    END IF;
  END LOOP;
  IF NOT v_ok THEN
    RETURN jsonb_build_object('ok', false, 'states', v_seen);
  END IF;
  INSERT INTO ${c} AS k (slot, count, reset_at)
    SELECT (e->>'slot') COLLATE "C", sum((e->>'amount')::bigint), max((e->>'keepUntil')::bigint) FROM ${counterCharges}
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (slot) DO UPDATE SET count = k.count + excluded.count, reset_at = GREATEST(k.reset_at, excluded.reset_at);
  UPDATE ${t} AS k SET credits = w.value FROM jsonb_each(v_key_writes) w WHERE k.id = w.key;
  UPDATE ${o} AS k SET credits = w.value FROM jsonb_each(v_owner_writes) w WHERE k.id = w.key;
  RETURN jsonb_build_object('ok', true, 'states', v_states);
END
$fn$;`
}
