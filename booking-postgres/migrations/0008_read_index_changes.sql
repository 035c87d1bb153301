-- booking-postgres schema, version 8: a commit may carry its read-index changes instead of
-- every entry.
--
-- Since version 6, booking_commit compared an aggregate's read-index rows with all of its
-- entries on every write: for a session, one row per student with a live booking, so each
-- batch on a busy session of 60 students matched 60 rows against 60 entries in both
-- directions and shipped 60 entries (about 8 KB of JSON) to change one or two. When the store
-- knows the state a write was decided on (its snapshot cache holds the aggregate at the
-- write's expected version), the core computes the difference (booking_core::index::
-- IndexEntryChanges), and the write carries it as `read_changes` (`removed`, `added`) instead
-- of `read_entries`. It is applied only after the version check passed, under the row lock:
-- the rows are then exactly that state's entries, so deleting `removed` and inserting `added`
-- leaves the same rows as comparing every entry would. A write without `read_changes` is
-- applied as in version 6.
--
-- Nothing but the function changes: no table, no row. booking_commit_all (version 7) calls
-- this function as it is.

-- booking_commit as in version 7, with `read_changes`.
CREATE OR REPLACE FUNCTION booking_commit(p jsonb) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    w record;
    change record;
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
            offer_deadline timestamptz, read_entries jsonb, read_changes jsonb)
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
        --
        -- Version 8: a write decided on a state the client knows (its cache holds the
        -- aggregate at the expected version) carries that difference, computed by the core
        -- (`read_changes`: `removed` and `added`), instead of every entry: the version check
        -- above has just passed, so the rows are that state's entries, and only the rows that
        -- change are looked up. An added entry the aggregate already has a row for is left
        -- out as below, so a key held by another aggregate still fails the commit.
        --
        -- One statement per changed entry, its key as parameters, so that each is a look-up
        -- of the primary key: a set-based statement joining the changes (which the planner
        -- takes for 100 rows, as any jsonb_to_recordset) reads all of the aggregate's rows
        -- through read_index_by_aggregate and hashes them, which is the cost this avoids.
        IF w.kind <> 'calendar' AND jsonb_typeof(w.read_changes) = 'object' THEN
            FOR change IN
                SELECT * FROM jsonb_to_recordset(w.read_changes->'removed') AS x(index text, partition text, sort text)
            LOOP
                DELETE FROM read_index r
                WHERE r.index = change.index AND r.partition = change.partition AND r.sort = change.sort
                  AND r.aggregate_id = w.id AND r.kind = w.kind;
            END LOOP;
            FOR change IN
                SELECT * FROM jsonb_to_recordset(w.read_changes->'added') AS x(index text, partition text, sort text)
            LOOP
                INSERT INTO read_index (index, partition, sort, kind, aggregate_id)
                SELECT change.index, change.partition, change.sort, w.kind, w.id
                WHERE NOT EXISTS (
                    SELECT 1 FROM read_index r
                    WHERE r.index = change.index AND r.partition = change.partition AND r.sort = change.sort
                      AND r.aggregate_id = w.id AND r.kind = w.kind);
            END LOOP;
        ELSIF w.kind <> 'calendar' THEN
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
