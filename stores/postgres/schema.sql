-- The schema of pgstore, Vishnu's PostgreSQL store. Store.Migrate runs it,
-- in one transaction, holding an advisory lock so that two processes
-- migrating at once take turns; Store.SchemaSQL returns it with the
-- configured names, for a migration tool. Every statement may run again:
-- tables and indexes are created if they do not exist, functions replaced.
-- Names in double braces are filled in from WithSchema and WithTable; with
-- the defaults they read vishnu_sessions, vishnu_sessions_fields and so on.

{{if .Schema}}CREATE SCHEMA IF NOT EXISTS {{.Schema}};
{{end}}
-- One row per session. id is Vishnu's id of the session (a hash of its
-- token, never the token). A record Vishnu wrote (see vishnu.EncodeRecord)
-- is kept one field per row in the fields table, so that a request that
-- changes one field writes one row, whatever the size of the session; raw
-- holds instead any other bytes a caller saved, which the store gives back
-- as they are. next_ord numbers the fields added next, so that a record
-- reads back in the order it was saved. Expired rows stay until Cleanup
-- deletes them; every read treats them as missing.
CREATE TABLE IF NOT EXISTS {{.Sessions}} (
	id       text COLLATE "C" PRIMARY KEY,
	expires  timestamptz NOT NULL,
	raw      bytea,
	next_ord bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS {{.SessionsExpiresIndex}} ON {{.Sessions}} (expires);

-- The fields of each session's record: names and values are bytes
-- (Vishnu's own field names start with a NUL byte, which text cannot hold).
-- Deleting a session deletes its fields.
CREATE TABLE IF NOT EXISTS {{.Fields}} (
	id    text COLLATE "C" NOT NULL REFERENCES {{.Sessions}} (id) ON DELETE CASCADE,
	name  bytea NOT NULL,
	value bytea NOT NULL,
	ord   bigint NOT NULL,
	PRIMARY KEY (id, name)
);

-- The index of sessions per user (vishnu.UserIndex): one row per entry,
-- found by user, with the info Vishnu keeps about the login (label, time)
-- and the entry's expiry. It has no foreign key to the sessions: an entry
-- may outlive its session, and Vishnu checks each against its record.
CREATE TABLE IF NOT EXISTS {{.Users}} (
	user_name  text COLLATE "C" NOT NULL,
	session_id text COLLATE "C" NOT NULL,
	info       bytea NOT NULL,
	expires    timestamptz NOT NULL,
	PRIMARY KEY (user_name, session_id)
);
CREATE INDEX IF NOT EXISTS {{.UsersExpiresIndex}} ON {{.Users}} (expires);

-- uvarint reads an unsigned varint (Go's encoding/binary) at the 0-based
-- offset pos of rec: it returns the offset after it and its value, or a
-- NULL value when rec ends first or the varint overflows 64 bits.
CREATE OR REPLACE FUNCTION {{.Uvarint}}(rec bytea, INOUT pos integer, OUT val numeric)
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	b   integer;
	mul numeric := 1;
BEGIN
	val := 0;
	FOR i IN 0..9 LOOP
		IF pos >= length(rec) THEN
			val := NULL;
			RETURN;
		END IF;
		b := get_byte(rec, pos);
		pos := pos + 1;
		IF b < 128 THEN
			IF i = 9 AND b > 1 THEN
				val := NULL;
			ELSE
				val := val + b * mul;
			END IF;
			RETURN;
		END IF;
		val := val + (b - 128) * mul;
		mul := mul * 128;
	END LOOP;
	val := NULL;
END
$$;

-- split returns the fields of a record in its byte form, in order, as
-- vishnu.DecodeRecord reads it, and raises invalid_binary_representation
-- when rec is not a record. Commit uses it only on a record saved in a form
-- other than Vishnu's (raw), to turn it into rows before changing it.
CREATE OR REPLACE FUNCTION {{.Split}}(rec bytea, OUT ord bigint, OUT name bytea, OUT value bytea)
RETURNS SETOF record
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	p  integer;
	n  numeric;
	l  numeric;
BEGIN
	IF length(rec) = 0 OR get_byte(rec, 0) <> 1 THEN
		RAISE EXCEPTION 'pgstore: the stored value is not a session record' USING ERRCODE = 'invalid_binary_representation';
	END IF;
	SELECT u.pos, u.val INTO p, n FROM {{.Uvarint}}(rec, 1) u;
	-- Each field takes at least two bytes.
	IF n IS NULL OR n > (length(rec) - p) / 2 THEN
		RAISE EXCEPTION 'pgstore: the stored value is not a session record' USING ERRCODE = 'invalid_binary_representation';
	END IF;
	FOR i IN 0 .. n::integer - 1 LOOP
		SELECT u.pos, u.val INTO p, l FROM {{.Uvarint}}(rec, p) u;
		IF l IS NULL OR l > length(rec) - p THEN
			RAISE EXCEPTION 'pgstore: the stored value is not a session record' USING ERRCODE = 'invalid_binary_representation';
		END IF;
		name := substring(rec FROM p + 1 FOR l::integer);
		p := p + l::integer;
		SELECT u.pos, u.val INTO p, l FROM {{.Uvarint}}(rec, p) u;
		IF l IS NULL OR l > length(rec) - p THEN
			RAISE EXCEPTION 'pgstore: the stored value is not a session record' USING ERRCODE = 'invalid_binary_representation';
		END IF;
		value := substring(rec FROM p + 1 FOR l::integer);
		p := p + l::integer;
		ord := i;
		RETURN NEXT;
	END LOOP;
	IF p <> length(rec) THEN
		RAISE EXCEPTION 'pgstore: the stored value is not a session record' USING ERRCODE = 'invalid_binary_representation';
	END IF;
END
$$;

-- save replaces a session's record and expiry (Store.Save): raw for bytes
-- that are not a record as Vishnu writes it, otherwise NULL and the fields
-- in order. Taking the session's row first serialises it with commit.
CREATE OR REPLACE FUNCTION {{.Save}}(p_id text, p_expires timestamptz, p_raw bytea, p_names bytea[], p_values bytea[])
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO {{.Sessions}} AS s (id, expires, raw, next_ord)
		VALUES (p_id, p_expires, p_raw, coalesce(cardinality(p_names), 0))
		ON CONFLICT (id) DO UPDATE SET expires = EXCLUDED.expires, raw = EXCLUDED.raw, next_ord = EXCLUDED.next_ord;
	DELETE FROM {{.Fields}} WHERE id = p_id;
	IF cardinality(p_names) > 0 THEN
		INSERT INTO {{.Fields}} (id, name, value, ord)
			SELECT p_id, f.name, f.value, f.i - 1 FROM unnest(p_names, p_values) WITH ORDINALITY AS f(name, value, i);
	END IF;
END
$$;

-- commit applies a request's change to a session (Store.Commit), as
-- vishnu's Change.Apply does to a record, in the one statement that calls
-- it: it locks the session's row, so that commits, saves, touches and
-- deletes of one session take turns; drops the fields deleted (all of them
-- for p_replace); writes those set, distinct names, each in one row; and
-- sets the expiry. Fields neither set nor deleted are not touched, so the
-- cost follows the change, not the session.
--
-- It returns false, having changed nothing, when there is no session (or
-- only an expired one) and p_create is false: a session destroyed by one
-- request is not brought back by another that loaded it before. An expired
-- session that may be created starts afresh.
CREATE OR REPLACE FUNCTION {{.Commit}}(p_id text, p_create boolean, p_replace boolean, p_expires timestamptz, p_now timestamptz, p_delete bytea[], p_names bytea[], p_values bytea[])
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	v_expires timestamptz;
	v_raw     bytea;
	v_next    bigint;
BEGIN
	LOOP
		SELECT s.expires, s.raw, s.next_ord INTO v_expires, v_raw, v_next
			FROM {{.Sessions}} s WHERE s.id = p_id FOR UPDATE;
		EXIT WHEN FOUND;
		IF NOT p_create THEN
			RETURN false;
		END IF;
		-- Created here, or by a concurrent commit that this insert waits
		-- for: either way the next round finds the row and locks it.
		INSERT INTO {{.Sessions}} (id, expires) VALUES (p_id, p_expires) ON CONFLICT (id) DO NOTHING;
	END LOOP;

	IF v_expires <= p_now THEN
		-- An expired session is no session.
		IF NOT p_create THEN
			RETURN false;
		END IF;
		p_replace := true;
	END IF;

	IF p_replace THEN
		DELETE FROM {{.Fields}} WHERE id = p_id;
		v_next := 0;
	ELSE
		IF v_raw IS NOT NULL THEN
			-- Bytes saved in another form than Vishnu's: into rows first,
			-- the last of a name twice winning, as in DecodeRecord. Split
			-- raises if they are no record, which undoes everything.
			INSERT INTO {{.Fields}} (id, name, value, ord)
				SELECT DISTINCT ON (f.name) p_id, f.name, f.value, f.ord
				FROM {{.Split}}(v_raw) f ORDER BY f.name, f.ord DESC;
			v_next := coalesce((SELECT max(f.ord) + 1 FROM {{.Fields}} f WHERE f.id = p_id), 0);
		END IF;
		IF cardinality(p_delete) > 0 THEN
			DELETE FROM {{.Fields}} WHERE id = p_id AND name = ANY (p_delete);
		END IF;
	END IF;

	IF cardinality(p_names) > 0 THEN
		INSERT INTO {{.Fields}} (id, name, value, ord)
			SELECT p_id, f.name, f.value, v_next + f.i - 1 FROM unnest(p_names, p_values) WITH ORDINALITY AS f(name, value, i)
			ON CONFLICT (id, name) DO UPDATE SET value = EXCLUDED.value;
	END IF;
	UPDATE {{.Sessions}} SET expires = p_expires, raw = NULL, next_ord = v_next + coalesce(cardinality(p_names), 0)
		WHERE id = p_id;
	RETURN true;
END
$$;
