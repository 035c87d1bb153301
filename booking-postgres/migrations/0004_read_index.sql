-- booking-postgres schema, version 4: the read index (issue 15), and the outbox in commit order.
--
-- `read_index`: one row per read-index entry of a stored session or lesson, as the core computes
-- them (Write::read_entries, IndexEntry::of_session / of_lesson; the store never derives them):
-- the lists the engine's queries page through (agendas, the approval queue, what starts).
-- booking_commit replaces an aggregate's rows in the transaction that writes it;
-- Repository::read_index reads one `(index, partition)` range in `sort` order with the primary
-- key, joining sessions and lessons for the bodies. `COLLATE "C"`: sort keys compare byte-wise,
-- as the core asks. `read_index_by_aggregate` finds an aggregate's rows to replace them.
-- The rows of the sessions and lessons stored before are filled right after this file, in the
-- same transaction, by migrate.rs (it decodes each body and inserts the core's entries).
--
-- The outbox: booking_commit now takes a per-schema advisory transaction lock before it
-- inserts the events, so `events.id` grows in commit order across sessions too (it did only
-- within one session before): `events.id` is the position of Repository::read_outbox and
-- acknowledge_outbox. prune_events, session_events and `txid` are unchanged.

CREATE TABLE read_index (
    index        text COLLATE "C" NOT NULL,
    partition    text COLLATE "C" NOT NULL,
    sort         text COLLATE "C" NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('session', 'lesson')),
    aggregate_id uuid NOT NULL,
    PRIMARY KEY (index, partition, sort)
);
CREATE INDEX read_index_by_aggregate ON read_index (aggregate_id);

-- booking_commit as in version 3, replacing each written session's and lesson's read-index
-- rows, and positioning the events in commit order.
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
        -- (a calendar has none). Under the aggregate's row lock, like its body.
        IF w.kind <> 'calendar' THEN
            DELETE FROM read_index WHERE aggregate_id = w.id AND kind = w.kind;
            IF jsonb_typeof(w.read_entries) = 'array' AND jsonb_array_length(w.read_entries) > 0 THEN
                INSERT INTO read_index (index, partition, sort, kind, aggregate_id)
                SELECT e.index, e.partition, e.sort, w.kind, w.id
                FROM jsonb_to_recordset(w.read_entries) AS e(index text, partition text, sort text);
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

    IF jsonb_array_length(p->'events') > 0 THEN
        -- Outbox positions (`events.id`) in commit order: every commit with events takes this
        -- lock before it draws its ids and holds it until it has committed, so a later id is
        -- always drawn after every earlier one is committed and visible. One lock per schema
        -- (class "bkob", the schema's name hashed); nothing is waited for while it is held.
        PERFORM pg_advisory_xact_lock(1651208034, hashtext(current_schema()));
        INSERT INTO events (kind, session_id, session_version, booking_id, occurred_at, body)
        SELECT e.value->>'kind', (e.value->>'session_id')::uuid, (e.value->>'session_version')::bigint,
               (e.value->>'booking_id')::uuid, (e.value->>'occurred_at')::timestamptz, e.value->'body'
        FROM jsonb_array_elements(p->'events') WITH ORDINALITY AS e(value, ord)
        ORDER BY e.ord;
    END IF;
END;
$fn$;
