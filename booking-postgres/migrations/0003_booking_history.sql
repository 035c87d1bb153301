-- booking-postgres schema, version 3: the booking history, and indexes for retention.
--
-- `finished_bookings`: seat bookings that finished (cancelled, declined, expired), moved out of
-- their session's body by the commit that finished them (Commit::finished_bookings), in the same
-- transaction. `body` is the booking as JSON, the source of truth (read by
-- Repository::load_finished_booking); `session_id`, `student_id`, `status` and `finished_at`
-- (the booking's `updated_at`) are copies for the host's own queries, indexed by session and by
-- student. A session is rewritten by every command on it, so it keeps only its live bookings:
-- its size no longer grows with every booking ever made.

CREATE TABLE finished_bookings (
    booking_id  uuid        PRIMARY KEY,
    session_id  uuid        NOT NULL,
    student_id  uuid        NOT NULL,
    status      text        NOT NULL,
    finished_at timestamptz NOT NULL,
    body        jsonb       NOT NULL
);
CREATE INDEX finished_bookings_by_session ON finished_bookings (session_id);
CREATE INDEX finished_bookings_by_student ON finished_bookings (student_id, finished_at);

-- Retention (Repository::prune_requests, PgRepository::prune_events) deletes by these instants.
CREATE INDEX requests_by_recorded_at ON requests (recorded_at);
CREATE INDEX events_by_occurred_at ON events (occurred_at);

-- The finished bookings session bodies written before still hold move to the history now, and
-- each such session's version is bumped with its body (a version names one state; it also
-- invalidates every store's snapshot cache). The engine would move them on the session's next
-- change anyway; doing it here makes every hot session small at once. Bookings that are not
-- well-formed objects are left where they are (loading the session reports them).
INSERT INTO finished_bookings (booking_id, session_id, student_id, status, finished_at, body)
SELECT (b.value->>'id')::uuid, s.id, (b.value->>'student_id')::uuid, b.value->>'status',
       (b.value->>'updated_at')::timestamptz, b.value
FROM sessions AS s
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(s.body->'bookings') = 'array' THEN s.body->'bookings' ELSE '[]'::jsonb END) AS b(value)
WHERE jsonb_typeof(b.value) = 'object'
  AND b.value->>'status' IN ('cancelled', 'expired')
  AND b.value->>'id' ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
  AND b.value->>'student_id' ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
  AND jsonb_typeof(b.value->'updated_at') = 'string'
ON CONFLICT (booking_id) DO NOTHING;

UPDATE sessions AS s
SET version = s.version + 1,
    updated_at = now(),
    body = jsonb_set(jsonb_set(s.body, '{version}', to_jsonb(s.version + 1)), '{bookings}', (
        SELECT coalesce(jsonb_agg(b.value ORDER BY b.ord), '[]'::jsonb)
        FROM jsonb_array_elements(s.body->'bookings') WITH ORDINALITY AS b(value, ord)
        WHERE NOT EXISTS (SELECT 1 FROM finished_bookings AS f
                          WHERE jsonb_typeof(b.value) = 'object' AND f.session_id = s.id
                            AND f.booking_id::text = lower(b.value->>'id'))))
WHERE jsonb_typeof(s.body->'bookings') = 'array'
  AND EXISTS (SELECT 1 FROM jsonb_array_elements(s.body->'bookings') AS b(value), finished_bookings AS f
              WHERE jsonb_typeof(b.value) = 'object' AND f.session_id = s.id
                AND f.booking_id::text = lower(b.value->>'id'));

-- booking_commit as in version 2, keeping the finished bookings too.
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
            offer_deadline timestamptz)
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
        INSERT INTO events (kind, session_id, session_version, booking_id, occurred_at, body)
        SELECT e.value->>'kind', (e.value->>'session_id')::uuid, (e.value->>'session_version')::bigint,
               (e.value->>'booking_id')::uuid, (e.value->>'occurred_at')::timestamptz, e.value->'body'
        FROM jsonb_array_elements(p->'events') WITH ORDINALITY AS e(value, ord)
        ORDER BY e.ord;
    END IF;
END;
$fn$;
