-- booking-postgres schema, version 5: outbox positions published by readers, writers take no
-- shared lock (issue 18).
--
-- Version 4 put `events.id` in commit order by having every commit with events take one
-- advisory lock of the schema before it drew its ids, held to its end: commits with events
-- finished one at a time, WAL flush included. Now a writer only inserts its events (with
-- `txid`, its transaction id); the outbox position is the new column `position`, NULL until a
-- reader publishes the event:
--
-- booking_read_outbox(after, limit), the statement of Repository::read_outbox, takes a lock only
-- readers take (advisory, class "bkop", the schema's name hashed), then gives the next
-- consecutive positions (counted in the one-row table `outbox_counter`) to the events that
-- have none and that its snapshot sees, i.e. whose transactions have committed (an event of a
-- transaction still running or rolled back is invisible to it), in `(txid, id)` order, at most
-- 10,000 at a time; then it returns the events at positions above `after`. So positions
-- are handed out once (under the readers' lock, committed with the reader's statement), never
-- reused, gap-free unless prune_events deletes an event while it is being published, and an
-- event committed late gets a position above every position already read: a reader never finds
-- an event below a position it has seen. The events of one aggregate come out in its commit
-- order: a commit on an aggregate succeeds only at the version the previous one wrote, which
-- the engine loaded after that one committed, so it draws its transaction id (at its first
-- write, inside booking_commit) after the previous one committed: its txid is higher, and any
-- snapshot that sees it committed sees the previous one committed too. Within a commit, `id`
-- keeps the events' order. See the crate docs, "The outbox".
--
-- Upgrade path: every event already stored was committed in version 4's order (`id`) and keeps
-- `id` as its position (`position = id`), so a relay's cursor (a position it read) stays valid;
-- the counter starts at the id sequence's last value, so new positions come after every id ever
-- drawn. The migration first takes version 4's commit lock, so the commits of older code in
-- flight finish first; an event that older code inserts after this (a commit that was waiting
-- on that lock) has no position and is published by the next reader like any other.
-- `events.id` stays (session_events orders one session's events by it; the sequence still
-- gives each event a key). `txid` is unchanged.

SELECT pg_advisory_xact_lock(1651208034, hashtext(current_schema()));

ALTER TABLE events ADD COLUMN position bigint;
UPDATE events SET position = id;
-- Published events by position (what read_outbox and acknowledge_outbox read); writers insert
-- NULL positions and so never touch it.
CREATE UNIQUE INDEX events_by_position ON events (position) WHERE position IS NOT NULL;
-- The events a reader has still to publish, in the order it publishes them.
CREATE INDEX events_unpublished ON events (txid, id) WHERE position IS NULL;

-- The last position handed out: written by readers only, under their lock.
CREATE TABLE outbox_counter (
    single boolean PRIMARY KEY DEFAULT true CHECK (single),
    last   bigint  NOT NULL
);
INSERT INTO outbox_counter (last) SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM events_id_seq;

-- Publishes the committed events without a position, then returns the events at positions
-- above `p_after`, ascending, at most `p_limit`. One statement: the positions it hands out commit
-- with it, and its own snapshot (a new one per statement inside the function) sees what the
-- previous reader published, since it takes its snapshot after the lock.
CREATE FUNCTION booking_read_outbox(p_after bigint, p_limit bigint)
RETURNS TABLE (event_position bigint, event_body jsonb)
LANGUAGE plpgsql AS $fn$
DECLARE
    last_position bigint;
    published bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(1651208048, hashtext(current_schema()));
    IF EXISTS (SELECT 1 FROM events WHERE position IS NULL) THEN
        SELECT o.last INTO last_position FROM outbox_counter o;
        WITH pending AS (
            SELECT e.id, row_number() OVER (ORDER BY e.txid, e.id) AS n
            FROM (SELECT id, txid FROM events WHERE position IS NULL ORDER BY txid, id LIMIT 10000) e
        ), numbered AS (
            UPDATE events ev SET position = last_position + p.n
            FROM pending p
            WHERE ev.id = p.id
            RETURNING ev.position
        )
        SELECT max(numbered.position) INTO published FROM numbered;
        IF published IS NOT NULL THEN
            UPDATE outbox_counter SET last = published;
        END IF;
    END IF;
    RETURN QUERY
        SELECT ev.position, ev.body FROM events ev
        WHERE ev.position > p_after
        ORDER BY ev.position
        LIMIT p_limit;
END;
$fn$;

-- booking_commit as in version 4, without the outbox lock.
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
