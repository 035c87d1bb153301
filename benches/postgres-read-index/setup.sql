-- The read-index write of booking_commit alone (see run): one hot session of :k students among
-- 200 other sessions; payloads(0) has :k students, payloads(1) the same plus one; changes(1)
-- adds that one student, changes(0) removes it.
DROP SCHEMA IF EXISTS micro CASCADE;
CREATE SCHEMA micro;
SET search_path TO micro;
CREATE TABLE read_index (
    index        text COLLATE "C" NOT NULL,
    partition    text COLLATE "C" NOT NULL,
    sort         text COLLATE "C" NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('session', 'lesson')),
    aggregate_id uuid NOT NULL,
    PRIMARY KEY (index, partition, sort)
);
CREATE INDEX read_index_by_aggregate ON read_index (aggregate_id);
CREATE TABLE payloads (n int PRIMARY KEY, entries jsonb NOT NULL);
CREATE SEQUENCE step;
-- Other sessions' rows around it (the bench's 200 sessions of 50).
INSERT INTO read_index
SELECT 'student_agenda', gen_random_uuid()::text, '2030-01-01T10:00:00.000000Z/' || a::text, 'session', a
FROM (SELECT gen_random_uuid() AS a FROM generate_series(1, 200)) s, generate_series(1, 50);
INSERT INTO payloads
SELECT n, jsonb_build_array(
        jsonb_build_object('index', 'teacher_agenda', 'partition', '00000000-0000-0000-0000-0000000000aa', 'sort', '2030-01-01T10:00:00.000000Z/00000000-0000-0000-0000-000000000001'),
        jsonb_build_object('index', 'starts', 'partition', '', 'sort', '2030-01-01T10:00:00.000000Z/00000000-0000-0000-0000-000000000001'))
       || (SELECT jsonb_agg(jsonb_build_object('index', 'student_agenda', 'partition', '00000000-0000-0000-0001-' || lpad(s::text, 12, '0'), 'sort', '2030-01-01T10:00:00.000000Z/00000000-0000-0000-0000-000000000001'))
           FROM generate_series(1, :k + n) s)
FROM generate_series(0, 1) n;

-- Schemas 4 and 5 (migrations 0004, 0005): every row deleted, every entry inserted.
CREATE FUNCTION rewrite_all(e jsonb) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE id uuid := '00000000-0000-0000-0000-000000000001';
BEGIN
    DELETE FROM micro.read_index WHERE aggregate_id = id AND kind = 'session';
    INSERT INTO micro.read_index (index, partition, sort, kind, aggregate_id)
    SELECT x.index, x.partition, x.sort, 'session', id
    FROM jsonb_to_recordset(e) AS x(index text, partition text, sort text);
END $fn$;

-- Schema 6 (migration 0006): only the difference.
CREATE FUNCTION write_difference(e jsonb) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE id uuid := '00000000-0000-0000-0000-000000000001';
BEGIN
    DELETE FROM micro.read_index r
    WHERE r.aggregate_id = id AND r.kind = 'session'
      AND NOT EXISTS (
          SELECT 1 FROM jsonb_to_recordset(e) AS x(index text, partition text, sort text)
          WHERE x.index = r.index AND x.partition = r.partition AND x.sort = r.sort);
    INSERT INTO micro.read_index (index, partition, sort, kind, aggregate_id)
    SELECT x.index, x.partition, x.sort, 'session', id
    FROM jsonb_to_recordset(e) AS x(index text, partition text, sort text)
    WHERE NOT EXISTS (
        SELECT 1 FROM micro.read_index r
        WHERE r.index = x.index AND r.partition = x.partition AND r.sort = x.sort
          AND r.aggregate_id = id AND r.kind = 'session');
END $fn$;
-- Schema 8 (migration 0008): the changes the client computed (IndexEntryChanges).
CREATE TABLE changes (n int PRIMARY KEY, removed jsonb NOT NULL, added jsonb NOT NULL);
INSERT INTO changes
SELECT n, CASE n WHEN 0 THEN e ELSE '[]' END, CASE n WHEN 1 THEN e ELSE '[]' END
FROM generate_series(0, 1) n,
     LATERAL (SELECT jsonb_build_array(jsonb_build_object('index', 'student_agenda', 'partition', '00000000-0000-0000-0001-' || lpad((:k + 1)::text, 12, '0'), 'sort', '2030-01-01T10:00:00.000000Z/00000000-0000-0000-0000-000000000001')) AS e) one;
CREATE FUNCTION apply_changes(removed jsonb, added jsonb) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE id uuid := '00000000-0000-0000-0000-000000000001'; change record;
BEGIN
    FOR change IN SELECT * FROM jsonb_to_recordset(removed) AS x(index text, partition text, sort text) LOOP
        DELETE FROM micro.read_index r
        WHERE r.index = change.index AND r.partition = change.partition AND r.sort = change.sort
          AND r.aggregate_id = id AND r.kind = 'session';
    END LOOP;
    FOR change IN SELECT * FROM jsonb_to_recordset(added) AS x(index text, partition text, sort text) LOOP
        INSERT INTO micro.read_index (index, partition, sort, kind, aggregate_id)
        SELECT change.index, change.partition, change.sort, 'session', id
        WHERE NOT EXISTS (
            SELECT 1 FROM micro.read_index r
            WHERE r.index = change.index AND r.partition = change.partition AND r.sort = change.sort
              AND r.aggregate_id = id AND r.kind = 'session');
    END LOOP;
END $fn$;
SELECT rewrite_all(entries) FROM payloads WHERE n = 0;
VACUUM ANALYZE read_index;
