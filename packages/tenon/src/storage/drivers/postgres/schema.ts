// Tenon's tables in PostgreSQL, created and migrated by Tenon itself (in the
// schema the driver is configured with; `tenon` by default).

/** The schema version this code writes. Bump with a new migration below. */
export const SCHEMA_VERSION = 1;

/** A valid unquoted identifier for the schema name (no quoting games). */
export function checkSchemaName(name: string): string {
	if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
		throw new Error(
			`Invalid PostgreSQL schema name '${name}': use lowercase letters, digits and _`,
		);
	}
	return name;
}

/** Migration 1: every table and the commit function. `S` is the schema name. */
export function migration1(S: string): string {
	return `
CREATE TABLE IF NOT EXISTS ${S}.actors (
	actor_id text COLLATE "C" PRIMARY KEY,
	namespace text NOT NULL,
	name text NOT NULL,
	-- The key as JSON (components may hold any character, NUL included).
	key_json text NOT NULL,
	created_at bigint NOT NULL,
	destroyed_at bigint,
	input bytea
);
-- One live actor per (namespace, name, key): creation races resolve here.
CREATE UNIQUE INDEX IF NOT EXISTS actors_live_key
	ON ${S}.actors (namespace, name, key_json) WHERE destroyed_at IS NULL;
CREATE INDEX IF NOT EXISTS actors_by_name ON ${S}.actors (namespace, name, actor_id)
	WHERE destroyed_at IS NULL;

-- Each actor's ordered byte keys (state, KV, queue, schedules, journal, SQLite pages).
CREATE TABLE IF NOT EXISTS ${S}.actor_kv (
	actor_id text COLLATE "C" NOT NULL,
	key bytea NOT NULL,
	value bytea NOT NULL,
	PRIMARY KEY (actor_id, key)
);

-- The highest fence a commit was accepted with, per actor.
CREATE TABLE IF NOT EXISTS ${S}.actor_fences (
	actor_id text COLLATE "C" PRIMARY KEY,
	fence bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS ${S}.alarms (
	actor_id text COLLATE "C" PRIMARY KEY,
	at double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS alarms_by_time ON ${S}.alarms (at, actor_id);

-- Write ownership: one node per awake actor, with an epoch that grows on
-- every acquisition. Commits check it in the same transaction.
CREATE TABLE IF NOT EXISTS ${S}.leases (
	actor_id text COLLATE "C" PRIMARY KEY,
	node_id text,
	epoch bigint NOT NULL,
	expires_at double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS leases_by_node ON ${S}.leases (node_id);

-- Nodes of the cluster and where to reach them.
CREATE TABLE IF NOT EXISTS ${S}.nodes (
	node_id text PRIMARY KEY,
	address text NOT NULL,
	started_at double precision NOT NULL,
	heartbeat_at double precision NOT NULL
);

-- One actor's commit, atomic: rejected whole (returning the current fence)
-- if its fence is below the highest accepted one or the actor's lease epoch;
-- otherwise applied (returning -1). Order: clear, range deletes, deletes, puts.
CREATE OR REPLACE FUNCTION ${S}.commit_item(
	p_actor text,
	p_fence bigint,
	p_clear boolean,
	p_put_keys bytea[],
	p_put_values bytea[],
	p_delete_keys bytea[],
	p_range_starts bytea[],
	p_range_ends bytea[],
	p_alarm_mode smallint,
	p_alarm double precision
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	v_current bigint;
	v_epoch bigint;
BEGIN
	INSERT INTO ${S}.actor_fences (actor_id, fence) VALUES (p_actor, 0) ON CONFLICT DO NOTHING;
	SELECT fence INTO v_current FROM ${S}.actor_fences WHERE actor_id = p_actor FOR UPDATE;
	SELECT epoch INTO v_epoch FROM ${S}.leases WHERE actor_id = p_actor FOR SHARE;
	v_current := greatest(v_current, coalesce(v_epoch, 0));
	IF p_fence < v_current THEN
		RETURN v_current;
	END IF;
	UPDATE ${S}.actor_fences SET fence = p_fence WHERE actor_id = p_actor;
	IF p_clear THEN
		DELETE FROM ${S}.actor_kv WHERE actor_id = p_actor;
	END IF;
	FOR i IN 1 .. coalesce(array_length(p_range_starts, 1), 0) LOOP
		DELETE FROM ${S}.actor_kv
		WHERE actor_id = p_actor
			AND (p_range_starts[i] IS NULL OR key >= p_range_starts[i])
			AND (p_range_ends[i] IS NULL OR key < p_range_ends[i]);
	END LOOP;
	IF coalesce(array_length(p_delete_keys, 1), 0) > 0 THEN
		DELETE FROM ${S}.actor_kv WHERE actor_id = p_actor AND key = ANY (p_delete_keys);
	END IF;
	IF coalesce(array_length(p_put_keys, 1), 0) > 0 THEN
		INSERT INTO ${S}.actor_kv (actor_id, key, value)
		SELECT p_actor, k, v FROM unnest(p_put_keys, p_put_values) AS t (k, v)
		ON CONFLICT (actor_id, key) DO UPDATE SET value = excluded.value;
	END IF;
	IF p_alarm_mode = 1 THEN
		INSERT INTO ${S}.alarms (actor_id, at) VALUES (p_actor, p_alarm)
		ON CONFLICT (actor_id) DO UPDATE SET at = excluded.at;
	ELSIF p_alarm_mode = 2 THEN
		DELETE FROM ${S}.alarms WHERE actor_id = p_actor;
	END IF;
	RETURN -1;
END;
$$;
`;
}
