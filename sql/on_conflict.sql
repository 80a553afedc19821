-- INSERT ... ON CONFLICT on memopt tables with memopt_range unique indexes
-- and with memopt_hash ones: DO NOTHING and DO UPDATE (EXCLUDED, WHERE,
-- RETURNING), with and without a conflict target, ON CONSTRAINT, several
-- unique indexes, duplicates within one statement, inside WITH, savepoints;
-- each checked against the same statements on a heap table.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
\set SHOW_CONTEXT never

CREATE TABLE oc_heap (id int PRIMARY KEY, code text UNIQUE, v text, n int DEFAULT 0);
CREATE TABLE oc_mem (id int PRIMARY KEY, code text UNIQUE, v text, n int DEFAULT 0) USING memopt;
CREATE TABLE oc_hash (id int, code text, v text, n int DEFAULT 0,
                      PRIMARY KEY (id) WITH (bucket_count = 16),
                      UNIQUE (code) WITH (bucket_count = 16)) USING memopt;
-- runs a statement on the three tables and compares their contents afterwards
CREATE FUNCTION oc_run(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text; m text; x text;
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
  BEGIN
    EXECUTE replace(statement, '$T', 'oc_hash');
    SELECT string_agg(t::text, ' ' ORDER BY t.id) INTO x FROM oc_hash t;
  EXCEPTION WHEN OTHERS THEN x := 'ERROR ' || SQLSTATE;
  END;
  RETURN CASE WHEN h IS NOT DISTINCT FROM m AND h IS NOT DISTINCT FROM x
              THEN 'same: ' || coalesce(h, '(empty)')
              ELSE 'DIFFERENT heap ' || coalesce(h, '(empty)') || ' memopt_range ' ||
                   coalesce(m, '(empty)') || ' memopt_hash ' || coalesce(x, '(empty)') END;
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
  $$INSERT INTO $T SELECT g, 'c' || g, 'gen' FROM generate_series(1, 10) g ON CONFLICT (id) DO UPDATE SET n = $T.n + 100$$,
  $$WITH w AS (INSERT INTO $T VALUES (30, 'w1', 'cte'), (1, 'x', 'y') ON CONFLICT (id) DO UPDATE SET n = $T.n + 1000 RETURNING *) SELECT count(*) FROM w$$,
  $$WITH w AS (INSERT INTO $T VALUES (31, 'w1', 'dup') ON CONFLICT DO NOTHING RETURNING id) INSERT INTO $T SELECT id + 1, 'w2', 'after' FROM w$$
]) s;

-- in WITH, with what RETURNING gives back
WITH w AS (INSERT INTO oc_hash VALUES (1, 'x', 'y'), (40, 'w40', 'new')
           ON CONFLICT (id) DO UPDATE SET n = oc_hash.n + 1 RETURNING id, n)
SELECT * FROM w ORDER BY id;

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

-- memopt_hash arbiters: the plan names them, the check probes them (a
-- two-column key too), and their entries stay one per row
EXPLAIN (COSTS OFF)
INSERT INTO oc_hash VALUES (1, 'a', 'c') ON CONFLICT (id) DO UPDATE SET n = 10;
CREATE TABLE oc_pair (a int, b text, v int,
                      PRIMARY KEY (a, b) WITH (bucket_count = 8)) USING memopt;
INSERT INTO oc_pair SELECT g % 3, 'k' || (g % 2), g FROM generate_series(1, 6) g;
INSERT INTO oc_pair SELECT g % 3, 'k' || (g % 2), 100 FROM generate_series(4, 9) g
ON CONFLICT (a, b) DO UPDATE SET v = oc_pair.v + EXCLUDED.v;
INSERT INTO oc_pair VALUES (0, 'k0', 100), (9, 'k9', 9)
ON CONFLICT ON CONSTRAINT oc_pair_pkey DO NOTHING;
SELECT * FROM oc_pair ORDER BY a, b;
VACUUM oc_hash, oc_pair;
SELECT relation, bool_and(entries = CASE relation WHEN 'oc_hash'::regclass
                                      THEN (SELECT count(*) FROM oc_hash)
                                      ELSE (SELECT count(*) FROM oc_pair) END) AS one_entry_per_row
FROM memopt.indexes WHERE relation IN ('oc_hash'::regclass, 'oc_pair'::regclass)
GROUP BY relation ORDER BY relation::text;

DROP FUNCTION oc_run(text);
DROP TABLE oc_heap, oc_mem, oc_hash, oc_pair;
