-- memopt_range columns with DESC and NULLS FIRST: every query runs on a heap
-- table with btree indexes of the same columns and options and on a memopt
-- table with memopt_range indexes, with sorts and sequential scans off, and
-- the two must return the same rows in the same order ("same"). EXPLAIN
-- shows the memopt plans read the order from the index (no Sort).
SET client_min_messages = warning;  -- quiet if the extension already exists
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;

CREATE TABLE ord_h (a int, b text, c int, d timestamp, f float8);
CREATE TABLE ord_m (a int, b text, c int, d timestamp, f float8) USING memopt;
INSERT INTO ord_h
SELECT CASE WHEN i % 11 = 0 THEN NULL ELSE i % 37 END,
       CASE WHEN i % 13 = 0 THEN NULL ELSE substr(md5((i % 17)::text), 1, 3) END,
       i,
       CASE WHEN i % 7 = 0 THEN NULL ELSE '2026-01-01'::timestamp + (i % 50) * interval '1 hour' END,
       CASE WHEN i % 9 = 0 THEN NULL WHEN i % 19 = 0 THEN 'NaN' WHEN i % 23 = 0 THEN '-Infinity'
            ELSE (i % 41) / 3.0 END
FROM generate_series(1, 600) i;
INSERT INTO ord_m SELECT * FROM ord_h;

CREATE INDEX ord_h_a_c ON ord_h (a DESC, c);
CREATE INDEX ord_m_a_c ON ord_m USING memopt_range (a DESC, c);
CREATE INDEX ord_h_b ON ord_h (b NULLS FIRST);
CREATE INDEX ord_m_b ON ord_m USING memopt_range (b NULLS FIRST);
CREATE UNIQUE INDEX ord_h_c ON ord_h (c DESC NULLS LAST);
CREATE UNIQUE INDEX ord_m_c ON ord_m USING memopt_range (c DESC NULLS LAST);
CREATE INDEX ord_h_d ON ord_h (d DESC);
CREATE INDEX ord_m_d ON ord_m USING memopt_range (d DESC);
CREATE INDEX ord_h_f ON ord_h (f DESC NULLS LAST);
CREATE INDEX ord_m_f ON ord_m USING memopt_range (f DESC NULLS LAST);
ANALYZE ord_h, ord_m;

-- Runs a query ($T for the table) on both tables: "same", or both results.
CREATE FUNCTION ord_check(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE heap_rows text; memopt_rows text;
BEGIN
  EXECUTE format('SELECT string_agg(r::text, '' '') FROM (%s) r', replace(query, '$T', 'ord_h'))
    INTO heap_rows;
  EXECUTE format('SELECT string_agg(r::text, '' '') FROM (%s) r', replace(query, '$T', 'ord_m'))
    INTO memopt_rows;
  IF heap_rows IS NOT DISTINCT FROM memopt_rows THEN
    RETURN 'same';
  END IF;
  RETURN format('differ: heap %s / memopt %s', heap_rows, memopt_rows);
END $$;

SET enable_seqscan = off;
SET enable_bitmapscan = off;
SET enable_sort = off;

SELECT q, ord_check(q) FROM (VALUES
  -- (a DESC, c): forward and backward, bounds commuted on the DESC column
  ('SELECT a, c FROM $T ORDER BY a DESC, c'),
  ('SELECT a, c FROM $T ORDER BY a, c DESC'),
  ('SELECT a, c FROM $T ORDER BY a DESC, c LIMIT 7'),
  ('SELECT a, c FROM $T ORDER BY a, c DESC LIMIT 7'),
  ('SELECT a, c FROM $T WHERE a > 30 ORDER BY a DESC, c'),
  ('SELECT a, c FROM $T WHERE a >= 30 ORDER BY a DESC, c'),
  ('SELECT a, c FROM $T WHERE a < 3 ORDER BY a DESC, c'),
  ('SELECT a, c FROM $T WHERE a <= 3 ORDER BY a, c DESC'),
  ('SELECT a, c FROM $T WHERE a > 5 AND a < 9 ORDER BY a DESC, c'),
  ('SELECT a, c FROM $T WHERE a BETWEEN 5 AND 9 ORDER BY a, c DESC'),
  ('SELECT a, c FROM $T WHERE a = 12 AND c > 300 ORDER BY a DESC, c'),
  ('SELECT a, c FROM $T WHERE a = 12 AND c < 300 ORDER BY a, c DESC'),
  ('SELECT a, c FROM $T WHERE a > 30::bigint ORDER BY a DESC, c'),
  ('SELECT a, c FROM $T WHERE a < 2::int2 ORDER BY a DESC, c'),
  ('SELECT a, c FROM $T WHERE a IS NULL ORDER BY a DESC, c'),
  ('SELECT a, c FROM $T WHERE a IS NOT NULL ORDER BY a DESC, c LIMIT 5'),
  ('SELECT a, c FROM $T WHERE a = ANY (''{3, 30, 7, 3}'') ORDER BY a DESC, c'),
  ('SELECT a, c FROM $T WHERE a = ANY (''{3, 30, 7}'') ORDER BY a, c DESC'),
  ('SELECT a, c FROM $T WHERE a < ANY (''{3, 2}'') ORDER BY a DESC, c'),
  ('SELECT a, c FROM $T WHERE a = ANY (''{3, 30}'') AND c = ANY (''{30, 3, 588, 250}'') ORDER BY a DESC, c'),
  ('SELECT min(a), max(a) FROM $T'),
  -- (b NULLS FIRST): NULLs at the start, bounds exclude them
  ('SELECT b, c FROM $T ORDER BY b NULLS FIRST, c LIMIT 40'),
  ('SELECT b FROM $T ORDER BY b DESC NULLS LAST'),
  ('SELECT b FROM $T WHERE b < ''8'' ORDER BY b NULLS FIRST'),
  ('SELECT b FROM $T WHERE b > ''c'' ORDER BY b DESC NULLS LAST'),
  ('SELECT count(*) FROM $T WHERE b IS NULL'),
  ('SELECT min(b), max(b) FROM $T'),
  -- (c DESC NULLS LAST), unique; (d DESC): NULLs first by default
  ('SELECT c FROM $T WHERE c > 590 ORDER BY c DESC'),
  ('SELECT c FROM $T WHERE c < 10 ORDER BY c'),
  ('SELECT c FROM $T ORDER BY c DESC NULLS LAST LIMIT 3'),
  ('SELECT d FROM $T ORDER BY d DESC LIMIT 100'),
  ('SELECT d FROM $T WHERE d > ''2026-01-02 20:00'' ORDER BY d DESC'),
  ('SELECT d FROM $T WHERE d <= ''2026-01-01 02:00'' ORDER BY d'),
  ('SELECT count(*) FROM $T WHERE d IS NULL'),
  -- (f DESC NULLS LAST): NaN first, -Infinity last before the NULLs
  ('SELECT f, c FROM $T ORDER BY f DESC NULLS LAST, c LIMIT 30'),
  ('SELECT f FROM $T ORDER BY f NULLS FIRST LIMIT 80'),
  ('SELECT f FROM $T WHERE f < 2 ORDER BY f DESC NULLS LAST'),
  ('SELECT f FROM $T WHERE f >= 12 ORDER BY f NULLS FIRST'),
  ('SELECT count(*) FROM $T WHERE f = ''NaN''')
) AS t(q);

-- The memopt plans read the order from the index.
EXPLAIN (COSTS OFF) SELECT a, c FROM ord_m WHERE a > 30 ORDER BY a DESC, c;
EXPLAIN (COSTS OFF) SELECT a, c FROM ord_m ORDER BY a, c DESC LIMIT 7;
EXPLAIN (COSTS OFF) SELECT b FROM ord_m WHERE b > 'c' ORDER BY b DESC NULLS LAST;
EXPLAIN (COSTS OFF) SELECT max(a) FROM ord_m;

-- Uniqueness on a DESC column, and key-changing updates keep the order.
INSERT INTO ord_m (c) VALUES (7);
\echo :LAST_ERROR_SQLSTATE
UPDATE ord_h SET a = 40 - a, c = c + 1000 WHERE c % 5 = 0;
UPDATE ord_m SET a = 40 - a, c = c + 1000 WHERE c % 5 = 0;
DELETE FROM ord_h WHERE c % 9 = 0;
DELETE FROM ord_m WHERE c % 9 = 0;
SELECT q, ord_check(q) FROM (VALUES
  ('SELECT a, c FROM $T ORDER BY a DESC, c'),
  ('SELECT a, c FROM $T WHERE a > 20 ORDER BY a, c DESC'),
  ('SELECT c FROM $T WHERE c > 1000 ORDER BY c DESC LIMIT 10')
) AS t(q);

-- A merge join reads both inputs in the DESC order of their indexes.
SET enable_hashjoin = off;
SET enable_nestloop = off;
CREATE TABLE ord_m2 (a int, e int) USING memopt;
CREATE INDEX ord_m2_a ON ord_m2 USING memopt_range (a DESC);
INSERT INTO ord_m2 SELECT i % 40, i FROM generate_series(1, 80) i;
EXPLAIN (COSTS OFF)
SELECT m.a, m.c, m2.e FROM ord_m m JOIN ord_m2 m2 ON m.a = m2.a ORDER BY m.a DESC;
SELECT count(*), sum(m.c), sum(m2.e) FROM ord_m m JOIN ord_m2 m2 ON m.a = m2.a;
RESET ALL;
SELECT count(*), sum(m.c), sum(m2.e) FROM ord_m m JOIN ord_m2 m2 ON m.a = m2.a;

-- A heap table's btree index with DESC and NULLS options moves along.
CREATE TABLE ord_move (a int, b int);
CREATE INDEX ord_move_a_b ON ord_move (a DESC NULLS LAST, b NULLS FIRST);
INSERT INTO ord_move VALUES (1, 1), (NULL, 2), (3, NULL), (3, 4), (2, 5), (NULL, NULL);
ALTER TABLE ord_move SET ACCESS METHOD memopt;
SELECT pg_get_indexdef('ord_move_a_b'::regclass);
SET enable_seqscan = off;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT * FROM ord_move ORDER BY a DESC NULLS LAST, b NULLS FIRST;
SELECT * FROM ord_move ORDER BY a DESC NULLS LAST, b NULLS FIRST;
SELECT * FROM ord_move WHERE a < 3 ORDER BY a NULLS FIRST, b DESC NULLS LAST;
RESET ALL;

-- INCLUDE columns: not part of the key (uniqueness, order), returned by
-- index-only scans, and moved along with a btree index.
CREATE TABLE ord_inc (id int, v text, w int) USING memopt;
CREATE UNIQUE INDEX ord_inc_id ON ord_inc USING memopt_range (id DESC) INCLUDE (v, w);
INSERT INTO ord_inc SELECT i, 'v' || i, i * 10 FROM generate_series(1, 20) i;
INSERT INTO ord_inc VALUES (3, 'v3', 30);
\echo :LAST_ERROR_SQLSTATE
UPDATE ord_inc SET v = 'changed', w = -1 WHERE id = 4;
SET enable_seqscan = off;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT id, v, w FROM ord_inc WHERE id < 6 ORDER BY id DESC;
SELECT id, v, w FROM ord_inc WHERE id < 6 ORDER BY id DESC;
SET memopt.enable_custom_scans = off;
EXPLAIN (COSTS OFF) SELECT id, v, w FROM ord_inc WHERE id < 6 ORDER BY id DESC;
SELECT id, v, w FROM ord_inc WHERE id < 6 ORDER BY id DESC;
RESET ALL;
CREATE TABLE ord_inc_heap (id int, v text, PRIMARY KEY (id) INCLUDE (v));
INSERT INTO ord_inc_heap VALUES (1, 'one'), (2, 'two');
ALTER TABLE ord_inc_heap SET ACCESS METHOD memopt;
SELECT pg_get_indexdef('ord_inc_heap_pkey'::regclass);
INSERT INTO ord_inc_heap VALUES (2, 'deux');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ord_inc_heap ORDER BY id;
CREATE INDEX ON ord_inc USING memopt_hash (id) INCLUDE (v);
\echo :LAST_ERROR_SQLSTATE

DROP TABLE ord_h, ord_m, ord_m2, ord_move, ord_inc, ord_inc_heap;
DROP FUNCTION ord_check(text);
