-- booking-postgres schema, version 7: several commits in one round trip (group commit).
--
-- booking_commit_all(jsonb) takes an array of booking_commit payloads and applies them in
-- order, in the one transaction of its statement: each exactly as booking_commit applies it
-- (a later payload may expect the version an earlier one writes), and all of them or none,
-- since any error raised by one of them (a version conflict BKC01, a recorded request key
-- BKD01, anything else) aborts the statement. The engine's group commit sends the commits of
-- the seat commands it batched on one session this way (Repository::commit_all).
--
-- Nothing else changes: no table, no row, and booking_commit stays as version 6 wrote it.

CREATE OR REPLACE FUNCTION booking_commit_all(ps jsonb) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    p jsonb;
BEGIN
    IF jsonb_typeof(ps) <> 'array' THEN
        RAISE EXCEPTION 'booking_commit_all takes an array of commits, not %', jsonb_typeof(ps)
            USING ERRCODE = '22023';
    END IF;
    FOR p IN SELECT value FROM jsonb_array_elements(ps) WITH ORDINALITY AS e(value, n) ORDER BY n LOOP
        PERFORM booking_commit(p);
    END LOOP;
END;
$fn$;
