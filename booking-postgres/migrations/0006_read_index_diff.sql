-- booking-postgres schema, version 6: a commit writes only the read-index rows that changed.
--
-- Versions 4 and 5 replaced an aggregate's `read_index` rows on every commit that wrote it: all
-- of them deleted, all of its entries inserted again. A session has one row per student with a
-- live booking, so each booking on a busy session deleted and inserted hundreds of rows (each
-- in the primary key and in `read_index_by_aggregate`) to change one. booking_commit now
-- deletes only the aggregate's rows that are not among its new entries and inserts only the
-- entries it has no row for: the same rows afterwards, as before.
--
-- Why comparing `(index, partition, sort)` within the aggregate is exact: a sort key ends with
-- the aggregate's id (booking_core::index::sort_key), so a key names one aggregate, and a row
-- of this aggregate with the key of an entry is that entry (`kind` and `aggregate_id` being
-- the same). The insert leaves out those entries with NOT EXISTS, not with ON CONFLICT DO
-- NOTHING, so that a key held by another aggregate still fails the commit instead of being
-- skipped (the primary key is on the key alone).
--
-- Nothing but the function changes: the rows written by version 5 are already the core's
-- entries, so the upgrade has nothing to fill.

-- booking_commit as in version 5, writing only the read-index rows that changed.
CREATE OR REPLACE FUNCTION booking_commit(p jsonb) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    w record;
    n bigint;
BEGIN
    IF jsonb_typeof(p->'request') = 'object' THEN
        INSERT INTO requests (actor, key, recorded_at, body)
        SELECT r.actor, r.key, r.recorded_at, r.body
        FROM jsonb_to_record(p->'request') AS r(actor text, key text, recorded_at timestamptz, body jsonb)
        ON CONFLICT (actor, key) DO NOTHING;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n = 0 THEN
            RAISE EXCEPTION 'request key already recorded' USING ERRCODE = 'BKD01';
        END IF;
    END IF;

    IF jsonb_array_length(p->'bookings') > 0 THEN
        INSERT INTO booking_index (booking_id, kind, session_id)
        SELECT b.id, b.kind, b.session_id
        FROM jsonb_to_recordset(p->'bookings') AS b(id uuid, kind text, session_id uuid)
        ON CONFLICT (booking_id) DO UPDATE SET kind = excluded.kind, session_id = excluded.session_id;
    END IF;

    IF jsonb_array_length(p->'slots') > 0 THEN
        INSERT INTO slot_index (slot_id, teacher_id)
        SELECT s.id, s.teacher_id
        FROM jsonb_to_recordset(p->'slots') AS s(id uuid, teacher_id uuid)
        ON CONFLICT (slot_id) DO UPDATE SET teacher_id = excluded.teacher_id;
    END IF;

    FOR w IN
        SELECT *
        FROM jsonb_to_recordset(p->'writes') AS x(
            kind text, id uuid, expected bigint, version bigint, body jsonb,
            teacher_id uuid, student_id uuid, course_id uuid, starts_at timestamptz, status text,
            offer_deadline timestamptz, read_entries jsonb)
    LOOP
        IF w.kind = 'session' THEN
            IF w.expected = 0 THEN
                INSERT INTO sessions (id, version, teacher_id, course_id, starts_at, offer_deadline, body)
                VALUES (w.id, w.version, w.teacher_id, w.course_id, w.starts_at, w.offer_deadline, w.body)
                ON CONFLICT (id) DO NOTHING;
            ELSE
                UPDATE sessions
                SET version = w.version, teacher_id = w.teacher_id, course_id = w.course_id,
                    starts_at = w.starts_at, offer_deadline = w.offer_deadline, updated_at = now(),
                    body = w.body
                WHERE id = w.id AND version = w.expected;
            END IF;
        ELSIF w.kind = 'calendar' THEN
            IF w.expected = 0 THEN
                INSERT INTO calendars (owner, version, body)
                VALUES (w.id, w.version, w.body)
                ON CONFLICT (owner) DO NOTHING;
            ELSE
                UPDATE calendars
                SET version = w.version, updated_at = now(), body = w.body
                WHERE owner = w.id AND version = w.expected;
            END IF;
        ELSIF w.kind = 'lesson' THEN
            IF w.expected = 0 THEN
                INSERT INTO lessons (id, version, teacher_id, student_id, course_id, starts_at, status, body)
                VALUES (w.id, w.version, w.teacher_id, w.student_id, w.course_id, w.starts_at, w.status, w.body)
                ON CONFLICT (id) DO NOTHING;
            ELSE
                UPDATE lessons
                SET version = w.version, teacher_id = w.teacher_id, student_id = w.student_id,
                    course_id = w.course_id, starts_at = w.starts_at, status = w.status,
                    updated_at = now(), body = w.body
                WHERE id = w.id AND version = w.expected;
            END IF;
        ELSE
            RAISE EXCEPTION 'unknown aggregate kind %', w.kind USING ERRCODE = '22023';
        END IF;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n = 0 THEN
            RAISE EXCEPTION '% % is not at version %', w.kind, w.id, w.expected USING ERRCODE = 'BKC01';
        END IF;
        -- The aggregate's read-index entries, as the core computed them, replace its rows
        -- (a calendar has none). Under the aggregate's row lock, like its body. Only the
        -- difference is written: its rows that are no longer among the entries are deleted,
        -- the entries it has no row for yet are inserted; a row it keeps is not touched.
        IF w.kind <> 'calendar' THEN
            IF jsonb_typeof(w.read_entries) = 'array' AND jsonb_array_length(w.read_entries) > 0 THEN
                DELETE FROM read_index r
                WHERE r.aggregate_id = w.id AND r.kind = w.kind
                  AND NOT EXISTS (
                      SELECT 1
                      FROM jsonb_to_recordset(w.read_entries) AS e(index text, partition text, sort text)
                      WHERE e.index = r.index AND e.partition = r.partition AND e.sort = r.sort);
                -- NOT EXISTS, not ON CONFLICT DO NOTHING: a key held by another aggregate (or
                -- named twice) still fails the commit with a unique violation, as when every
                -- row was rewritten.
                INSERT INTO read_index (index, partition, sort, kind, aggregate_id)
                SELECT e.index, e.partition, e.sort, w.kind, w.id
                FROM jsonb_to_recordset(w.read_entries) AS e(index text, partition text, sort text)
                WHERE NOT EXISTS (
                    SELECT 1 FROM read_index r
                    WHERE r.index = e.index AND r.partition = e.partition AND r.sort = e.sort
                      AND r.aggregate_id = w.id AND r.kind = w.kind);
            ELSE
                DELETE FROM read_index WHERE aggregate_id = w.id AND kind = w.kind;
            END IF;
        END IF;
    END LOOP;

    -- The seat bookings this commit finished, moved out of the session it wrote: the booking
    -- history, insert or replace by id. After the aggregates, so a competing commit on the same
    -- session has already failed on, or is waiting for, the session's row lock.
    IF jsonb_typeof(p->'finished') = 'array' AND jsonb_array_length(p->'finished') > 0 THEN
        INSERT INTO finished_bookings (booking_id, session_id, student_id, status, finished_at, body)
        SELECT (f.value->>'id')::uuid, (f.value->>'session_id')::uuid, (f.value->>'student_id')::uuid,
               f.value->>'status', (f.value->>'updated_at')::timestamptz, f.value
        FROM jsonb_array_elements(p->'finished') AS f(value)
        ON CONFLICT (booking_id) DO UPDATE
        SET session_id = excluded.session_id, student_id = excluded.student_id, status = excluded.status,
            finished_at = excluded.finished_at, body = excluded.body;
    END IF;

    -- The events, last, without any lock: `txid` (the column's default, pg_current_xact_id())
    -- names this transaction; a reader gives them their outbox positions once it sees them
    -- committed (booking_read_outbox below).
    IF jsonb_array_length(p->'events') > 0 THEN
        INSERT INTO events (kind, session_id, session_version, booking_id, occurred_at, body)
        SELECT e.value->>'kind', (e.value->>'session_id')::uuid, (e.value->>'session_version')::bigint,
               (e.value->>'booking_id')::uuid, (e.value->>'occurred_at')::timestamptz, e.value->'body'
        FROM jsonb_array_elements(p->'events') WITH ORDINALITY AS e(value, ord)
        ORDER BY e.ord;
    END IF;
END;
$fn$;
