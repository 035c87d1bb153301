-- booking-postgres schema, version 1.
--
-- Every aggregate row keeps its whole state in `body` (the engine's JSON) and its optimistic
-- version in `version`; the other columns are copies of body fields for hosts to query and
-- index. The store only ever reads `version` and `body`.
--
-- fillfactor leaves room on each page so that the frequent rewrites of a hot aggregate are
-- HOT updates (no index maintenance, since no indexed column changes).

CREATE TABLE sessions (
    id          uuid        PRIMARY KEY,
    version     bigint      NOT NULL CHECK (version > 0),
    teacher_id  uuid        NOT NULL,
    course_id   uuid,
    starts_at   timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    body        jsonb       NOT NULL
) WITH (fillfactor = 80);
CREATE INDEX sessions_by_teacher ON sessions (teacher_id, starts_at);

CREATE TABLE calendars (
    owner       uuid        PRIMARY KEY,
    version     bigint      NOT NULL CHECK (version > 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    body        jsonb       NOT NULL
) WITH (fillfactor = 80);

CREATE TABLE lessons (
    id          uuid        PRIMARY KEY,
    version     bigint      NOT NULL CHECK (version > 0),
    teacher_id  uuid        NOT NULL,
    student_id  uuid        NOT NULL,
    course_id   uuid,
    starts_at   timestamptz NOT NULL,
    status      text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    body        jsonb       NOT NULL
) WITH (fillfactor = 80);
CREATE INDEX lessons_by_teacher ON lessons (teacher_id, starts_at);
CREATE INDEX lessons_by_student ON lessons (student_id, starts_at);

-- lz4 compresses the bodies several times faster than the default pglz; a server built
-- without lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE sessions ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE calendars ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE lessons ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    NULL;
END
$$;

-- Booking id -> where the booking lives (a seat in a session, or a lesson of its own).
CREATE TABLE booking_index (
    booking_id  uuid PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('session', 'lesson')),
    session_id  uuid,
    CHECK ((kind = 'session') = (session_id IS NOT NULL))
);

-- Slot id -> the teacher whose calendar holds it.
CREATE TABLE slot_index (
    slot_id     uuid PRIMARY KEY,
    teacher_id  uuid NOT NULL
);

-- Commands that succeeded under a request key: (actor, key) -> the recorded outcome.
CREATE TABLE requests (
    actor       text        NOT NULL,
    key         text        NOT NULL,
    recorded_at timestamptz NOT NULL,
    body        jsonb       NOT NULL,
    PRIMARY KEY (actor, key)
);

-- The outbox: every event of every commit, written in the commit's transaction.
-- For one session, `id` order is commit order (the events are inserted while the session's
-- row lock is held). Across sessions it is not: consume by `txid` below the oldest running
-- transaction (see the crate docs).
CREATE TABLE events (
    id              bigserial   PRIMARY KEY,
    txid            xid8        NOT NULL DEFAULT pg_current_xact_id(),
    kind            text        NOT NULL,
    session_id      uuid,
    session_version bigint,
    booking_id      uuid,
    occurred_at     timestamptz NOT NULL,
    body            jsonb       NOT NULL
);

-- Host-owned data the engine reads (see InMemoryRepository's setters).
CREATE TABLE course_approval (
    course_id         uuid    PRIMARY KEY,
    requires_approval boolean NOT NULL
);

CREATE TABLE teacher_approval (
    teacher_id        uuid    NOT NULL,
    course_id         uuid    NOT NULL,
    requires_approval boolean NOT NULL,
    PRIMARY KEY (teacher_id, course_id)
);

CREATE TABLE enrollments (
    student_id  uuid        NOT NULL,
    course_id   uuid        NOT NULL,
    enrolled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (student_id, course_id)
);

-- Applies one pre-decided, versioned change set atomically, or raises and changes nothing.
-- It holds no booking rule: the engine decided everything; this only checks versions.
--
--   SQLSTATE BKC01  an aggregate is not at the expected version (or already exists)
--   SQLSTATE BKD01  the request key is already recorded
--
-- Order: the request record and the indexes first (they lock nothing anyone else waits
-- for), then the aggregates in the caller's (ascending key) order, so that two commits
-- never wait on each other in a cycle; then the events, last, so the row locks of the
-- aggregates are held from the first UPDATE to the end of the transaction and nothing else.
CREATE FUNCTION booking_commit(p jsonb) RETURNS void
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
            teacher_id uuid, student_id uuid, course_id uuid, starts_at timestamptz, status text)
    LOOP
        IF w.kind = 'session' THEN
            IF w.expected = 0 THEN
                INSERT INTO sessions (id, version, teacher_id, course_id, starts_at, body)
                VALUES (w.id, w.version, w.teacher_id, w.course_id, w.starts_at, w.body)
                ON CONFLICT (id) DO NOTHING;
            ELSE
                UPDATE sessions
                SET version = w.version, teacher_id = w.teacher_id, course_id = w.course_id,
                    starts_at = w.starts_at, updated_at = now(), body = w.body
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

    IF jsonb_array_length(p->'events') > 0 THEN
        INSERT INTO events (kind, session_id, session_version, booking_id, occurred_at, body)
        SELECT e.value->>'kind', (e.value->>'session_id')::uuid, (e.value->>'session_version')::bigint,
               (e.value->>'booking_id')::uuid, (e.value->>'occurred_at')::timestamptz, e.value->'body'
        FROM jsonb_array_elements(p->'events') WITH ORDINALITY AS e(value, ord)
        ORDER BY e.ord;
    END IF;
END;
$fn$;
