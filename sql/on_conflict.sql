-- INSERT ... ON CONFLICT on memopt tables with memopt_range unique indexes:
-- DO NOTHING and DO UPDATE (EXCLUDED, WHERE, RETURNING), with and without a
-- conflict target, ON CONSTRAINT, several unique indexes, duplicates within
-- one statement, savepoints; each checked against the same statements on a
-- heap table.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
\set SHOW_CONTEXT never

CREATE TABLE oc_heap (id int PRIMARY KEY, code text UNIQUE, v text, n int DEFAULT 0);
CREATE TABLE oc_mem (id int PRIMARY KEY, code text UNIQUE, v text, n int DEFAULT 0) USING memopt;
-- runs a statement on both tables and compares their contents afterwards
CREATE FUNCTION oc_run(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text; m text;
BEGIN
  BEGIN
    EXECUTE replace(statement, '$T', 'oc_heap');
    SELECT string_agg(t::text, ' ' ORDER BY t.id) INTO h FROM oc_heap t;
  EXCEPTION WHEN OTHERS THEN h := 'ERROR ' || SQLSTATE;
  END;
  BEGIN
    EXECUTE replace(statement, '$T', 'oc_mem');
    SELECT string_agg(t::text, ' ' ORDER BY t.id) INTO m FROM oc_mem t;
  EXCEPTION WHEN OTHERS THEN m := 'ERROR ' || SQLSTATE;
  END;
  RETURN CASE WHEN h IS NOT DISTINCT FROM m THEN 'same: ' || coalesce(h, '(empty)')
              ELSE 'DIFFERENT heap ' || coalesce(h, '(empty)') || ' memopt ' || coalesce(m, '(empty)') END;
END $$;

SELECT oc_run(s) FROM unnest(ARRAY[
  $$INSERT INTO $T VALUES (1, 'a', 'first'), (2, 'b', 'second')$$,
  $$INSERT INTO $T VALUES (1, 'z', 'x') ON CONFLICT DO NOTHING$$,
  $$INSERT INTO $T VALUES (3, 'a', 'x') ON CONFLICT DO NOTHING$$,
  $$INSERT INTO $T VALUES (1, 'q', 'x'), (4, 'd', 'y'), (4, 'e', 'z') ON CONFLICT (id) DO NOTHING$$,
  $$INSERT INTO $T VALUES (2, 'b', 'upd') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v, n = $T.n + 1$$,
  $$INSERT INTO $T VALUES (2, 'b', 'no') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v WHERE $T.n > 5$$,
  $$INSERT INTO $T VALUES (5, 'a', 'v5') ON CONFLICT (code) DO UPDATE SET v = 'by code ' || EXCLUDED.id$$,
  $$INSERT INTO $T VALUES (1, 'a', 'c') ON CONFLICT ON CONSTRAINT $T_pkey DO UPDATE SET n = 10$$,
  $$INSERT INTO $T VALUES (6, 'f', 'six'), (6, 'g', 'again') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v$$,
  $$INSERT INTO $T VALUES (7, 'b', 'dup code') ON CONFLICT (id) DO NOTHING$$,
  $$INSERT INTO $T SELECT g, 'c' || g, 'gen' FROM generate_series(1, 10) g ON CONFLICT (id) DO UPDATE SET n = $T.n + 100$$
]) s;

-- in a transaction, with a savepoint rolled back
BEGIN;
INSERT INTO oc_mem VALUES (20, 't', 'first') ON CONFLICT DO NOTHING;
SAVEPOINT s;
INSERT INTO oc_mem VALUES (20, 't', 'second') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v;
SELECT id, v FROM oc_mem WHERE id = 20;
ROLLBACK TO s;
SELECT id, v FROM oc_mem WHERE id = 20;
INSERT INTO oc_mem VALUES (20, 't', 'third') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v
RETURNING id, v, n;
COMMIT;
SELECT id, v FROM oc_mem WHERE id = 20;
-- the lookups still find every row; VACUUM removes the entries of the rows
-- that conflicts took back
SET enable_seqscan = off;
SELECT count(*) FROM oc_mem m WHERE EXISTS (SELECT 1 FROM oc_mem x WHERE x.id = m.id)
                               AND EXISTS (SELECT 1 FROM oc_mem y WHERE y.code = m.code);
RESET enable_seqscan;
VACUUM oc_mem;
SELECT bool_and(entries = (SELECT count(*) FROM oc_mem)) AS one_entry_per_row
FROM memopt.indexes WHERE relation = 'oc_mem'::regclass;

DROP FUNCTION oc_run(text);
DROP TABLE oc_heap, oc_mem;
