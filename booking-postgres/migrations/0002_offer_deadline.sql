-- booking-postgres schema, version 2: seat offers and the fields bodies gained with the
-- scheduling rules.
--
-- `sessions.offer_deadline`: the earliest instant an outstanding seat offer of the session runs
-- out (GroupSession::next_offer_deadline), NULL when it has none. booking_commit writes it with
-- every session write, from the payload, in the same statement as the body; the partial index
-- holds only the sessions that have one, which is what Repository::sessions_with_offers_due
-- reads. Sessions stored before cannot have an offer (offers came with this version), so NULL
-- is right for every existing row. An update that leaves it NULL (or unchanged) changes no
-- indexed column, so the hot-session updates stay HOT.

ALTER TABLE sessions ADD COLUMN offer_deadline timestamptz;
CREATE INDEX sessions_by_offer_deadline ON sessions (offer_deadline, id) WHERE offer_deadline IS NOT NULL;

-- Holds in calendar bodies written by version 1 lack the lesson's course and teacher and the
-- busy time around the lesson (which have no default: the teacher is not in the hold). They are
-- copied from the lesson's row; the busy time is the lesson's own (lessons booked before had no
-- buffers). Fields already present win (`||` keeps the right-hand side's keys). The calendar's
-- version is bumped with its body, since a version names exactly one state. A damaged body is
-- left as it is (loading it reports it), rather than failing the migration.
UPDATE calendars AS c
SET version = c.version + 1,
    updated_at = now(),
    body = jsonb_set(jsonb_set(c.body, '{version}', to_jsonb(c.version + 1)), '{holds}', (
        SELECT coalesce(jsonb_agg(
                   CASE WHEN jsonb_typeof(h.value) = 'object' THEN
                       jsonb_build_object(
                           'course_id', l.course_id,
                           'teacher_id', to_jsonb(l.teacher_id),
                           'busy_from', h.value->'starts_at',
                           'busy_until', h.value->'ends_at') || h.value
                   ELSE h.value END
                   ORDER BY h.ord), '[]'::jsonb)
        FROM jsonb_array_elements(c.body->'holds') WITH ORDINALITY AS h(value, ord)
        LEFT JOIN LATERAL (
            SELECT lesson.teacher_id, lesson.body->'course_id' AS course_id
            FROM lessons AS lesson
            WHERE lesson.id = CASE
                WHEN h.value->>'booking_id' ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
                THEN (h.value->>'booking_id')::uuid
            END
        ) AS l ON true))
WHERE CASE WHEN jsonb_typeof(c.body->'holds') = 'array' THEN
          EXISTS (SELECT 1 FROM jsonb_array_elements(c.body->'holds') AS h(value)
                  WHERE jsonb_typeof(h.value) = 'object'
                    AND NOT (h.value ? 'teacher_id' AND h.value ? 'busy_from'))
      ELSE false END;

-- The upcoming group sessions (not cancelled, not ended) go into their teacher's calendar
-- (`sessions`, by start), which is created where the teacher has none: the engine now keeps them
-- there so 1:1 lessons cannot be booked over them, and version 1 did not. Lessons already
-- booked over a session stay, as the engine keeps them over time off.
INSERT INTO calendars (owner, version, body)
SELECT DISTINCT s.teacher_id, 1,
       jsonb_build_object('owner', s.teacher_id, 'version', 1, 'slots', '[]'::jsonb, 'holds', '[]'::jsonb)
FROM sessions AS s
WHERE s.body->'cancelled_at' = 'null'::jsonb
  AND CASE WHEN jsonb_typeof(s.body->'duration_minutes') = 'number'
           THEN s.starts_at + make_interval(mins => (s.body->>'duration_minutes')::int) > now()
           ELSE false END
  AND NOT EXISTS (SELECT 1 FROM calendars AS c WHERE c.owner = s.teacher_id);

WITH upcoming AS (
    SELECT s.id, s.teacher_id, s.starts_at, s.body->'starts_at' AS starts_json,
           s.starts_at + make_interval(mins => (s.body->>'duration_minutes')::int) AS ends_at
    FROM sessions AS s
    WHERE s.body->'cancelled_at' = 'null'::jsonb
      AND CASE WHEN jsonb_typeof(s.body->'duration_minutes') = 'number'
               THEN s.starts_at + make_interval(mins => (s.body->>'duration_minutes')::int) > now()
               ELSE false END
)
UPDATE calendars AS c
SET version = c.version + 1,
    updated_at = now(),
    body = jsonb_set(jsonb_set(c.body, '{version}', to_jsonb(c.version + 1)), '{sessions}', (
        SELECT jsonb_agg(jsonb_build_object('session_id', u.id, 'starts_at', u.starts_json,
                                            'ends_at', to_jsonb(u.ends_at))
                         ORDER BY u.starts_at, u.id)
        FROM upcoming AS u WHERE u.teacher_id = c.owner))
WHERE jsonb_typeof(c.body) = 'object' AND NOT (c.body ? 'sessions')
  AND EXISTS (SELECT 1 FROM upcoming AS u WHERE u.teacher_id = c.owner);

-- booking_commit as in version 1, writing `offer_deadline` too.
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

    IF jsonb_array_length(p->'events') > 0 THEN
        INSERT INTO events (kind, session_id, session_version, booking_id, occurred_at, body)
        SELECT e.value->>'kind', (e.value->>'session_id')::uuid, (e.value->>'session_version')::bigint,
               (e.value->>'booking_id')::uuid, (e.value->>'occurred_at')::timestamptz, e.value->'body'
        FROM jsonb_array_elements(p->'events') WITH ORDINALITY AS e(value, ord)
        ORDER BY e.ord;
    END IF;
END;
$fn$;
