-- MemoptSeqScan: simple quals on integer-like columns are tested on the
-- stored tuples inside the scan; rows with NULLs or without the column (added
-- later) go to the executor, which tests every clause. Results must match a
-- heap table for every type, operator and mix. (MemoptLookup and MemoptRange
-- are covered by indexes.sql.)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
SET jit = off;

CREATE TABLE cs_heap (i2 int2, i4 int4, i8 int8, o oid, d date, tm time, ts timestamp,
                      tz timestamptz, txt text, after_text int4);
INSERT INTO cs_heap
SELECT (g % 100 - 50)::int2, g, g::int8 * 1000000007 - 5000000000, (g * 7)::oid,
       date '2024-01-01' + g % 60, time '00:00' + g * interval '1 minute',
       timestamp '2024-01-01' + g * interval '1 hour',
       timestamptz '2024-01-01 00:00+00' + g * interval '1 hour', 't' || g, g % 10
FROM generate_series(1, 2000) g;
INSERT INTO cs_heap (i4, txt) VALUES (5, 'nulls'), (NULL, 'null key');
CREATE TABLE cs_mem (LIKE cs_heap) USING memopt;
INSERT INTO cs_mem SELECT * FROM cs_heap;

EXPLAIN (COSTS OFF) SELECT count(*) FROM cs_mem WHERE i4 < 100;
EXPLAIN (COSTS OFF) SELECT count(*) FROM cs_mem WHERE 100 > i4 AND txt LIKE 't1%';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM cs_mem WHERE i4 <= 10;
-- not pushed: a column after a variable-width one is tested by the executor
-- only (its offset is not fixed), as are cross-type and non-constant quals
EXPLAIN (COSTS OFF) SELECT count(*) FROM cs_mem WHERE after_text = 3;
EXPLAIN (COSTS OFF) SELECT count(*) FROM cs_mem WHERE i4 < 10::int8;

CREATE FUNCTION cs_same(condition text) RETURNS bool LANGUAGE plpgsql AS $$
DECLARE a bigint; b bigint; x bigint; y bigint;
BEGIN
  EXECUTE 'SELECT count(*), sum(hashtext(t::text)) FROM cs_heap t WHERE ' || condition INTO a, x;
  EXECUTE 'SELECT count(*), sum(hashtext(t::text)) FROM cs_mem t WHERE ' || condition INTO b, y;
  RETURN a = b AND x IS NOT DISTINCT FROM y;
END $$;
SELECT c AS condition, cs_same(c) AS same FROM unnest(ARRAY[
  'i2 < 0', 'i2 = -50', 'i2 >= 49', 'i4 = 5', 'i4 > 1990', 'i4 <= 1', '7 < i4 AND i4 < 9',
  'i8 > 0', 'i8 = 1000000007::int8 * 3 - 5000000000', 'o >= 13993', 'o < 14',
  'd = ''2024-01-05''', 'tm > ''23:00''', 'ts < ''2024-01-02''', 'tz >= ''2024-03-01 00:00+00''',
  'i4 < 100 AND txt LIKE ''t1%''', 'after_text = 3', 'i4 IS NULL OR i4 < 3']) c;

-- system columns come through (memopt's slot answers xmin and friends)
SELECT xmin = xmin AS has_xmin, ctid IS NOT NULL AS has_ctid, tableoid = 'cs_mem'::regclass AS own
FROM cs_mem WHERE i4 = 5 AND txt <> 'nulls';

-- a column added later is missing in the old versions: the executor decides
ALTER TABLE cs_heap ADD COLUMN added int4 DEFAULT 3;
ALTER TABLE cs_mem ADD COLUMN added int4 DEFAULT 3;
INSERT INTO cs_heap (i4, added) VALUES (3000, 4);
INSERT INTO cs_mem (i4, added) VALUES (3000, 4);
EXPLAIN (COSTS OFF) SELECT count(*) FROM cs_mem WHERE added = 3;
SELECT cs_same('added = 3') AS old_versions, cs_same('added = 4') AS new_version;
SET memopt.enable_custom_scans = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM cs_mem WHERE i4 < 100;
SELECT cs_same('i4 < 100');
RESET memopt.enable_custom_scans;

-- Parameters of generic plans are engine filters too, read at scan start.
SET plan_cache_mode = force_generic_plan;
PREPARE cs_param(int4) AS SELECT count(*) FROM cs_mem WHERE i4 < $1;
EXPLAIN (COSTS OFF) EXECUTE cs_param(10);
PREPARE cs_param_heap(int4) AS SELECT count(*) FROM cs_heap WHERE i4 < $1;
EXECUTE cs_param(10);
EXECUTE cs_param_heap(10);
EXECUTE cs_param(NULL);
EXECUTE cs_param(-5);
DEALLOCATE cs_param;
DEALLOCATE cs_param_heap;
RESET plan_cache_mode;

-- The quals of memopt's custom scans live at the end of custom_exprs, so
-- they are compiled once, for memopt's slot; EXPLAIN (ANALYZE) shows them as
-- it shows plan.qual: Filter, Rows Removed by Filter, a correlated SubPlan.
CREATE TABLE cs_keyed (id int PRIMARY KEY, v int) USING memopt;
INSERT INTO cs_keyed SELECT g, g % 7 FROM generate_series(1, 5000) g;
ANALYZE cs_keyed;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT id FROM cs_keyed k WHERE id BETWEEN 10 AND 20
  AND v < (SELECT count(*) FROM cs_heap h WHERE h.i4 = k.id AND h.after_text < 9);
SELECT id FROM cs_keyed k WHERE id BETWEEN 10 AND 20
  AND v < (SELECT count(*) FROM cs_heap h WHERE h.i4 = k.id AND h.after_text < 9) ORDER BY id;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT id FROM cs_keyed WHERE id = 14 AND v > 3;
DROP TABLE cs_keyed;

DROP FUNCTION cs_same(text);
DROP TABLE cs_heap, cs_mem;
