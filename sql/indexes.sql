-- memopt_range and memopt_hash: plans, lookups, ranges and order on every
-- supported key type (checked against heap + btree on the same data), NULLs,
-- multi-column, partial and expression indexes, uniqueness, updates that
-- change keys, rollbacks, cursors, merge joins, DDL and VACUUM.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
SET jit = off;  -- enable_seqscan = off costs would make every query JIT-compile
\set SHOW_CONTEXT never

CREATE TYPE ix_mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE ix_heap (
  id int, c_int2 int2, c_int4 int4, c_int8 int8, c_numeric numeric, c_float4 float4,
  c_float8 float8, c_text text, c_icu text COLLATE "und-x-icu", c_varchar varchar(20),
  c_bpchar char(6), c_bytea bytea, c_uuid uuid, c_date date, c_time time, c_ts timestamp,
  c_tstz timestamptz, c_interval interval, c_bool bool, c_oid oid, c_enum ix_mood);
INSERT INTO ix_heap
SELECT g, (g % 50 - 25)::int2, g * 7 % 101, g::int8 * 1000003 % 9973 - 5000,
       (g % 37) / 7.0, (g % 23) * 0.5, (g % 41) * -1.25,
       CASE g % 4 WHEN 0 THEN 'apple' || g % 9 WHEN 1 THEN 'Banana' || g % 7
                  WHEN 2 THEN 'cherry' ELSE 'Ä' || g % 5 END,
       CASE g % 3 WHEN 0 THEN 'a' || g % 6 WHEN 1 THEN 'B' || g % 6 ELSE 'é' || g % 4 END,
       'v' || g % 13, 'c' || g % 11, decode(lpad(to_hex(g % 29), 4, '0'), 'hex'),
       md5((g % 17)::text)::uuid, date '2024-01-01' + g % 45, time '08:00' + (g % 19) * interval '7 min',
       timestamp '2024-03-01' + (g % 31) * interval '5 hours',
       timestamptz '2024-03-01 00:00+00' + (g % 27) * interval '90 min',
       (g % 15) * interval '1 day 3 hours', g % 3 = 0, (g % 21)::oid,
       (ARRAY['sad', 'ok', 'happy'])[1 + g % 3]::ix_mood
FROM generate_series(1, 600) g;
-- every tenth row has NULLs everywhere but id
UPDATE ix_heap SET c_int2 = NULL, c_int4 = NULL, c_int8 = NULL, c_numeric = NULL,
  c_float4 = NULL, c_float8 = NULL, c_text = NULL, c_icu = NULL, c_varchar = NULL,
  c_bpchar = NULL, c_bytea = NULL, c_uuid = NULL, c_date = NULL, c_time = NULL, c_ts = NULL,
  c_tstz = NULL, c_interval = NULL, c_bool = NULL, c_oid = NULL, c_enum = NULL
WHERE id % 10 = 0;
CREATE TABLE ix_mem (LIKE ix_heap) USING memopt;
INSERT INTO ix_mem SELECT * FROM ix_heap;

-- one memopt_range and one memopt_hash index per column (and btree on heap)
SELECT format('CREATE INDEX ix_mem_r_%1$s ON ix_mem USING memopt_range (%1$s);'
              'CREATE INDEX ix_mem_h_%1$s ON ix_mem USING memopt_hash (%1$s);'
              'CREATE INDEX ix_heap_%1$s ON ix_heap (%1$s);', attname)
FROM pg_attribute WHERE attrelid = 'ix_heap'::regclass AND attname LIKE 'c\_%'
ORDER BY attnum \gexec

SET enable_seqscan = off;
SET enable_bitmapscan = off;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT c_text FROM ix_mem ORDER BY c_text;
EXPLAIN (COSTS OFF) SELECT c_icu FROM ix_mem ORDER BY c_icu DESC;
EXPLAIN (COSTS OFF) SELECT * FROM ix_mem WHERE c_uuid = md5('3')::uuid;

-- full order, both directions: the same sequence as btree's
SELECT format($q$SELECT %1$L AS col,
  (SELECT array_agg(%1$s) FROM (SELECT %1$s FROM ix_mem ORDER BY %1$s) s)
    IS NOT DISTINCT FROM
  (SELECT array_agg(%1$s) FROM (SELECT %1$s FROM ix_heap ORDER BY %1$s) s) AS asc_same,
  (SELECT array_agg(%1$s) FROM (SELECT %1$s FROM ix_mem ORDER BY %1$s DESC) s)
    IS NOT DISTINCT FROM
  (SELECT array_agg(%1$s) FROM (SELECT %1$s FROM ix_heap ORDER BY %1$s DESC) s) AS desc_same$q$,
  attname)
FROM pg_attribute WHERE attrelid = 'ix_heap'::regclass AND attname LIKE 'c\_%'
ORDER BY attnum \gexec

-- equality (range and hash), ranges, IS NULL / IS NOT NULL: same rows as heap
CREATE FUNCTION ix_same(query_mem text, query_heap text) RETURNS bool LANGUAGE plpgsql AS $$
DECLARE a int[]; b int[];
BEGIN
  EXECUTE 'SELECT array_agg(id ORDER BY id) FROM (' || query_mem || ') q' INTO a;
  EXECUTE 'SELECT array_agg(id ORDER BY id) FROM (' || query_heap || ') q' INTO b;
  RETURN a IS NOT DISTINCT FROM b AND a IS NOT NULL;
END $$;
CREATE FUNCTION ix_check_columns(OUT col name, OUT eq bool, OUT gt bool, OUT le bool,
                                  OUT is_null bool, OUT not_null bool)
RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE c name;
BEGIN
  FOR c IN SELECT attname FROM pg_attribute WHERE attrelid = 'ix_heap'::regclass
           AND attname LIKE 'c\_%' ORDER BY attnum LOOP
    col := c;
    eq := ix_same(format('SELECT id FROM ix_mem WHERE %1$s = (SELECT %1$s FROM ix_heap WHERE id = 7)', c),
                  format('SELECT id FROM ix_heap WHERE %1$s = (SELECT %1$s FROM ix_heap WHERE id = 7)', c));
    gt := ix_same(format('SELECT id FROM ix_mem WHERE %1$s > (SELECT %1$s FROM ix_heap WHERE id = 7)', c),
                  format('SELECT id FROM ix_heap WHERE %1$s > (SELECT %1$s FROM ix_heap WHERE id = 7)', c));
    le := ix_same(format('SELECT id FROM ix_mem WHERE %1$s <= (SELECT %1$s FROM ix_heap WHERE id = 8)', c),
                  format('SELECT id FROM ix_heap WHERE %1$s <= (SELECT %1$s FROM ix_heap WHERE id = 8)', c));
    is_null := ix_same(format('SELECT id FROM ix_mem WHERE %s IS NULL', c),
                       format('SELECT id FROM ix_heap WHERE %s IS NULL', c));
    not_null := ix_same(format('SELECT id FROM ix_mem WHERE %s IS NOT NULL', c),
                        format('SELECT id FROM ix_heap WHERE %s IS NOT NULL', c));
    RETURN NEXT;
  END LOOP;
END $$;
-- through MemoptLookup (equality) and the index AMs, then through the index
-- AMs alone
SELECT * FROM ix_check_columns();
SET memopt.enable_custom_scans = off;
SELECT * FROM ix_check_columns() WHERE NOT (eq AND gt AND le AND is_null AND not_null);
RESET memopt.enable_custom_scans;

-- the hash indexes alone answer equality
SELECT format('DROP INDEX ix_mem_r_%s', attname)
FROM pg_attribute WHERE attrelid = 'ix_heap'::regclass AND attname LIKE 'c\_%' \gexec
EXPLAIN (COSTS OFF) SELECT id FROM ix_mem WHERE c_icu = 'B1';
CREATE FUNCTION ix_check_equality(OUT col name, OUT eq bool) RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE c name;
BEGIN
  FOR c IN SELECT attname FROM pg_attribute WHERE attrelid = 'ix_heap'::regclass
           AND attname LIKE 'c\_%' ORDER BY attnum LOOP
    col := c;
    eq := ix_same(format('SELECT id FROM ix_mem WHERE %1$s = (SELECT %1$s FROM ix_heap WHERE id = 9)', c),
                  format('SELECT id FROM ix_heap WHERE %1$s = (SELECT %1$s FROM ix_heap WHERE id = 9)', c));
    RETURN NEXT;
  END LOOP;
END $$;
SELECT * FROM ix_check_equality();
SET memopt.enable_custom_scans = off;
EXPLAIN (COSTS OFF) SELECT id FROM ix_mem WHERE c_icu = 'B1';
SELECT * FROM ix_check_equality() WHERE NOT eq;
RESET memopt.enable_custom_scans;
-- cross-type equality and ranges (int4 column, int8 and int2 arguments)
CREATE INDEX ix_mem_r_c_int4 ON ix_mem USING memopt_range (c_int4);
SELECT ix_same('SELECT id FROM ix_mem WHERE c_int4 = 50::int8', 'SELECT id FROM ix_heap WHERE c_int4 = 50');
SELECT ix_same('SELECT id FROM ix_mem WHERE c_int4 BETWEEN 10::int2 AND 20::int8',
               'SELECT id FROM ix_heap WHERE c_int4 BETWEEN 10 AND 20');
EXPLAIN (COSTS OFF) SELECT id FROM ix_mem WHERE c_int4 = 50::int8;
RESET enable_seqscan;
RESET enable_bitmapscan;
RESET enable_sort;

-- the planner: an index for selective predicates, a scan otherwise
CREATE TABLE ix_t (id int PRIMARY KEY, grp int, name text, active bool) USING memopt;
INSERT INTO ix_t SELECT g, g % 10, 'n' || g, g % 2 = 0 FROM generate_series(1, 5000) g;
CREATE INDEX ix_t_grp ON ix_t (grp);
CREATE INDEX ix_t_name ON ix_t USING memopt_hash (name) WITH (bucket_count = 1024);
ANALYZE ix_t;
EXPLAIN (COSTS OFF) SELECT * FROM ix_t WHERE id = 42;
EXPLAIN (COSTS OFF) SELECT * FROM ix_t WHERE id BETWEEN 10 AND 20;
EXPLAIN (COSTS OFF) SELECT * FROM ix_t WHERE name = 'n77';
EXPLAIN (COSTS OFF) SELECT * FROM ix_t WHERE grp = 3;
EXPLAIN (COSTS OFF) SELECT * FROM ix_t WHERE id > 10;
EXPLAIN (COSTS OFF) SELECT * FROM ix_t ORDER BY id DESC LIMIT 3;
EXPLAIN (COSTS OFF) SELECT min(id), max(id) FROM ix_t;
SELECT * FROM ix_t WHERE id = 42;
SELECT * FROM ix_t WHERE name = 'n77';
SELECT id FROM ix_t ORDER BY id DESC LIMIT 3;
SELECT min(id), max(id) FROM ix_t;
SELECT count(*) FROM ix_t WHERE id BETWEEN 10 AND 20;

-- uniqueness: 23505 for a committed duplicate, for our own, and on update
INSERT INTO ix_t VALUES (42, 0, 'dup', true);
\echo :LAST_ERROR_SQLSTATE
BEGIN;
INSERT INTO ix_t VALUES (6000, 0, 'x', true);
INSERT INTO ix_t VALUES (6000, 0, 'y', true);
ROLLBACK;
UPDATE ix_t SET id = 43 WHERE id = 42;
\echo :LAST_ERROR_SQLSTATE
-- a deleted key can be inserted again, also in the same transaction
BEGIN;
DELETE FROM ix_t WHERE id = 42;
INSERT INTO ix_t VALUES (42, 4, 'again', false);
SELECT * FROM ix_t WHERE id = 42;
COMMIT;
SELECT * FROM ix_t WHERE id = 42;

-- updates that change the key: the row moves, old keys find nothing
UPDATE ix_t SET id = id + 10000 WHERE id <= 5;
SELECT id, name FROM ix_t WHERE id <= 5 OR id BETWEEN 10001 AND 10005 ORDER BY id;
UPDATE ix_t SET name = 'renamed' || id WHERE id = 7;
SELECT id FROM ix_t WHERE name = 'n7';
SELECT id FROM ix_t WHERE name = 'renamed7';
-- a lookup by a key the row had before: its entry stays until the old
-- version is collected; MemoptLookup checks the key of the version it finds
BEGIN;
UPDATE ix_t SET id = 20001 WHERE id = 21;
SELECT id FROM ix_t WHERE id = 21;
SELECT id FROM ix_t WHERE id = 20001;
UPDATE ix_t SET name = 'moved' WHERE name = 'n22';
SELECT id FROM ix_t WHERE name = 'n22';
SELECT id, name FROM ix_t WHERE name = 'moved';
ROLLBACK;
-- several rows under one text key, each checked after the one before
CREATE TABLE ix_dup (id int, tag text) USING memopt;
CREATE INDEX ix_dup_tag ON ix_dup USING memopt_hash (tag);
INSERT INTO ix_dup SELECT g, repeat('t', 40) || (g % 3) FROM generate_series(1, 3000) g;
ANALYZE ix_dup;
EXPLAIN (COSTS OFF) SELECT id FROM ix_dup WHERE tag = repeat('t', 40) || '1';
SELECT count(*), min(id), max(id) FROM ix_dup WHERE tag = repeat('t', 40) || '1';
DROP TABLE ix_dup;
-- Index entries name rows, not versions: an update that leaves every column
-- an index reads as it was adds none. One that changes a key, a column of an
-- index expression or of a partial index's predicate must add one; each
-- index still finds the rows afterwards.
CREATE TABLE ix_hot (id int PRIMARY KEY, k int, flag bool, note text, payload text) USING memopt;
CREATE INDEX ix_hot_k ON ix_hot (k) WHERE flag;
CREATE INDEX ix_hot_lower ON ix_hot USING memopt_hash (lower(note));
INSERT INTO ix_hot SELECT g, g % 5, g % 2 = 0, 'Note' || g, 'p' FROM generate_series(1, 40) g;
ANALYZE ix_hot;
SELECT index::text, entries FROM memopt.indexes WHERE relation = 'ix_hot'::regclass ORDER BY 1;
UPDATE ix_hot SET payload = payload || 'x';
SELECT index::text, entries FROM memopt.indexes WHERE relation = 'ix_hot'::regclass ORDER BY 1;
UPDATE ix_hot SET flag = true WHERE id <= 10;
UPDATE ix_hot SET note = 'other' || id WHERE id <= 4;
UPDATE ix_hot SET id = id + 100, payload = 'moved' WHERE id = 40;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM ix_hot WHERE k = 1 AND flag;
SELECT id FROM ix_hot WHERE k = 1 AND flag ORDER BY id;
EXPLAIN (COSTS OFF) SELECT id FROM ix_hot WHERE lower(note) = 'other3';
SELECT id FROM ix_hot WHERE lower(note) = 'other3';
SELECT id FROM ix_hot WHERE lower(note) = 'note3';
SELECT id, payload FROM ix_hot WHERE id IN (7, 40, 140) ORDER BY id;
RESET enable_seqscan;
DROP TABLE ix_hot;
-- a rolled-back key change and a rolled-back insert leave nothing behind
BEGIN;
UPDATE ix_t SET id = -8 WHERE id = 8;
INSERT INTO ix_t VALUES (-9, 0, 'gone', true);
SAVEPOINT s;
UPDATE ix_t SET id = -10 WHERE id = 10;
ROLLBACK TO s;
SELECT id FROM ix_t WHERE id IN (-10, -9, -8, 8, 10) ORDER BY id;
ROLLBACK;
SELECT id FROM ix_t WHERE id IN (-10, -9, -8, 8, 10) ORDER BY id;
-- an UPDATE scanning the index it changes sees each row once
UPDATE ix_t SET id = id + 100000 WHERE id BETWEEN 100 AND 110;
SELECT count(*), min(id), max(id) FROM ix_t WHERE id > 100000;

-- multi-column keys: prefix equality, a range on the next column, order
CREATE TABLE ix_multi (a int, b text, c int) USING memopt;
INSERT INTO ix_multi SELECT g % 5, 'b' || (g % 7), g FROM generate_series(1, 200) g;
INSERT INTO ix_multi VALUES (NULL, 'b1', 1000), (2, NULL, 1001);
CREATE INDEX ix_multi_ab ON ix_multi (a, b);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM ix_multi WHERE a = 2 AND b > 'b4' ORDER BY a, b;
SELECT a, b, count(*) FROM ix_multi WHERE a = 2 AND b > 'b4' GROUP BY a, b ORDER BY a, b;
SELECT a, b FROM ix_multi WHERE a = 2 ORDER BY a DESC, b DESC LIMIT 4;
SELECT count(*) FROM ix_multi WHERE b = 'b3';
SELECT a, b, c FROM ix_multi WHERE a IS NULL OR b IS NULL ORDER BY c;
-- a range probe whose bound is computed per outer row (a by-reference value
-- the scan must keep while the executor resets its per-row memory)
EXPLAIN (COSTS OFF) SELECT v.x, s.* FROM (VALUES ('B3'), ('B5')) v(x) CROSS JOIN LATERAL
  (SELECT count(*), min(m.b), max(m.b) FROM ix_multi m WHERE m.a = 2 AND m.b >= lower(v.x)) s;
SELECT v.x, s.* FROM (VALUES ('B3'), ('B5')) v(x) CROSS JOIN LATERAL
  (SELECT count(*), min(m.b), max(m.b) FROM ix_multi m WHERE m.a = 2 AND m.b >= lower(v.x)) s;
RESET enable_seqscan;
-- multi-column hash: all columns needed; NULLs are distinct unless told not
CREATE UNIQUE INDEX ix_multi_hash ON ix_multi USING memopt_hash (c, a);
INSERT INTO ix_multi VALUES (NULL, 'n', 1000);
INSERT INTO ix_multi VALUES (NULL, 'n', 1000);
SELECT count(*) FROM ix_multi WHERE c = 1000;
CREATE TABLE ix_nnd (k int, UNIQUE NULLS NOT DISTINCT (k)) USING memopt;
INSERT INTO ix_nnd VALUES (NULL);
INSERT INTO ix_nnd VALUES (NULL);
\echo :LAST_ERROR_SQLSTATE

-- partial and expression indexes
CREATE INDEX ix_t_active ON ix_t (grp) WHERE active;
CREATE UNIQUE INDEX ix_t_lower ON ix_t USING memopt_hash (lower(name));
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM ix_t WHERE active AND grp = 4;
EXPLAIN (COSTS OFF) SELECT id FROM ix_t WHERE lower(name) = 'n99';
RESET enable_seqscan;
SELECT count(*) FROM ix_t WHERE active AND grp = 4;
SELECT id FROM ix_t WHERE lower(name) = 'n99';
INSERT INTO ix_t VALUES (7000, 1, 'N99', true);
\echo :LAST_ERROR_SQLSTATE
UPDATE ix_t SET active = NOT active WHERE id = 14;
SET enable_seqscan = off;
SELECT id FROM ix_t WHERE active AND grp = 4 AND id < 30 ORDER BY id;
RESET enable_seqscan;

-- scrollable cursor and merge join (mark and restore)
BEGIN;
SET LOCAL enable_seqscan = off;
DECLARE cur SCROLL CURSOR FOR SELECT id FROM ix_t WHERE id BETWEEN 20 AND 25 ORDER BY id;
FETCH 3 FROM cur;
FETCH BACKWARD 2 FROM cur;
FETCH LAST FROM cur;
FETCH NEXT FROM cur;
FETCH PRIOR FROM cur;
COMMIT;
CREATE TABLE ix_other (id int PRIMARY KEY, label text) USING memopt;
INSERT INTO ix_other SELECT g, 'l' || g FROM generate_series(1, 3000, 3) g;
SET enable_hashjoin = off;
SET enable_nestloop = off;
SET enable_seqscan = off;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM ix_t t JOIN ix_other o ON o.id = t.id;
SELECT count(*), sum(t.grp) FROM ix_t t JOIN ix_other o ON o.id = t.id;
RESET enable_hashjoin;
RESET enable_nestloop;
RESET enable_seqscan;
RESET enable_sort;
SELECT count(*), sum(t.grp) FROM ix_t t JOIN ix_other o ON o.id = t.id;

-- MemoptLookup as the inner side of a nested loop (its key is the outer
-- row's value), and what EXPLAIN ANALYZE shows
SET enable_hashjoin = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM generate_series(1, 30) g JOIN ix_t t ON t.id = g;
SELECT count(*), sum(t.grp) FROM generate_series(1, 30) g JOIN ix_t t ON t.id = g;
RESET enable_hashjoin;
RESET enable_mergejoin;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM ix_t WHERE id = 43;
-- system columns through MemoptLookup and MemoptRange
SELECT xmin = xmin AS has_xmin, ctid IS NOT NULL AS has_ctid, id FROM ix_t WHERE id = 43;
SELECT xmin = xmin AS has_xmin, id FROM ix_t WHERE id BETWEEN 43 AND 44 ORDER BY id;
-- a lookup that finds a stale entry (the row's key changed) returns nothing
BEGIN;
UPDATE ix_t SET id = -43 WHERE id = 43;
SELECT * FROM ix_t WHERE id = 43;
SELECT id FROM ix_t WHERE id = -43;
ROLLBACK;

-- DDL: ADD COLUMN (old versions lack it), REINDEX CONCURRENTLY, a
-- rolled-back CREATE INDEX, REINDEX, TRUNCATE, DROP INDEX
ALTER TABLE ix_t ADD COLUMN extra int DEFAULT 7;
CREATE INDEX ix_t_extra ON ix_t (extra, id);
INSERT INTO ix_t VALUES (9000, 1, 'n9000', true, 8);
SELECT id, extra FROM ix_t WHERE extra = 8;
SELECT id, extra FROM ix_t WHERE extra = 7 AND id < 30 ORDER BY id LIMIT 3;
SELECT id, name, extra FROM ix_t WHERE id = 9000;
DELETE FROM ix_t WHERE id = 9000;
DROP INDEX ix_t_extra;
ALTER TABLE ix_t DROP COLUMN extra;
SELECT id, name FROM ix_t WHERE name = 'n44';
REINDEX INDEX CONCURRENTLY ix_t_grp;
\echo :LAST_ERROR_SQLSTATE
-- LIKE ... INCLUDING INDEXES: memopt indexes are copied as they are; a heap
-- table's btree indexes become memopt_range
CREATE TABLE ix_like (LIKE ix_t INCLUDING INDEXES) USING memopt;
CREATE TABLE ix_heap_src (id int PRIMARY KEY, v text UNIQUE);
CREATE TABLE ix_like_heap (LIKE ix_heap_src INCLUDING INDEXES) USING memopt;
SELECT c.relname, am.amname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_am am ON am.oid = c.relam
WHERE i.indrelid IN ('ix_like'::regclass, 'ix_like_heap'::regclass) ORDER BY 1;
INSERT INTO ix_like_heap VALUES (1, 'a'), (2, 'b');
INSERT INTO ix_like_heap VALUES (3, 'a');
DROP TABLE ix_like, ix_heap_src, ix_like_heap;
BEGIN;
CREATE INDEX ix_t_gone ON ix_t (name);
ROLLBACK;
SELECT count(*) FROM memopt.indexes WHERE relation = 'ix_t'::regclass;
REINDEX TABLE ix_t;
SELECT index, access_method, entries FROM memopt.indexes
WHERE relation = 'ix_t'::regclass ORDER BY index::text;
SELECT * FROM ix_t WHERE id = 43;
VACUUM FULL ix_t;
SELECT * FROM ix_t WHERE id = 43;
SELECT count(*) FROM ix_t WHERE id BETWEEN 40 AND 49;
-- SET TABLESPACE would leave the engine indexes behind: refused
SET allow_in_place_tablespaces = on;
CREATE TABLESPACE ix_space LOCATION '';
ALTER TABLE ix_t SET TABLESPACE ix_space;
\echo :LAST_ERROR_SQLSTATE
DROP TABLESPACE ix_space;
RESET allow_in_place_tablespaces;
BEGIN;
TRUNCATE ix_t;
INSERT INTO ix_t VALUES (1, 1, 'one', true);
SELECT * FROM ix_t WHERE id = 1;
ROLLBACK;
SELECT count(*) FROM ix_t WHERE id < 30;
DROP INDEX ix_t_name;
SELECT count(*) FROM memopt.indexes WHERE relation = 'ix_t'::regclass;

-- VACUUM removes entries of deleted rows
DELETE FROM ix_t WHERE id > 1000;
VACUUM ix_t;
SELECT index, entries FROM memopt.indexes WHERE relation = 'ix_t'::regclass ORDER BY index::text;
-- VACUUM keeps the table's indexes visible to the planner (pg_class.relhasindex)
EXPLAIN (COSTS OFF) SELECT * FROM ix_t WHERE id = 42;
SELECT count(*) FROM ix_t;
INSERT INTO ix_t SELECT g, g % 10, 'n' || g, true FROM generate_series(2001, 2100) g;
SELECT count(*) FROM ix_t WHERE id BETWEEN 2001 AND 2100;

-- A range scan takes out the entries of dead rows it walks over, before
-- VACUUM does, so the head of a queue that is consumed from the front stays
-- cheap to reach; VACUUM then retires the rows.
CREATE TABLE ix_queue (id int PRIMARY KEY, v text) USING memopt
  WITH (autovacuum_enabled = off);
INSERT INTO ix_queue SELECT g, 'job' FROM generate_series(1, 1000) g;
DELETE FROM ix_queue WHERE id <= 900;
SELECT entries FROM memopt.indexes WHERE index = 'ix_queue_pkey'::regclass;
EXPLAIN (COSTS OFF) SELECT id FROM ix_queue ORDER BY id LIMIT 1;
SELECT id FROM ix_queue ORDER BY id LIMIT 1;
SELECT entries FROM memopt.indexes WHERE index = 'ix_queue_pkey'::regclass;
VACUUM ix_queue;
SELECT entries FROM memopt.indexes WHERE index = 'ix_queue_pkey'::regclass;
SELECT count(*), min(id), max(id) FROM ix_queue;
DROP TABLE ix_queue;

-- A hash lookup takes out the entries of dead rows under its key too: a key
-- deleted and inserted again 200 times keeps a few entries, not 200.
CREATE TABLE ix_session (id int, v int, PRIMARY KEY (id) WITH (bucket_count = 64))
  USING memopt WITH (autovacuum_enabled = off);
INSERT INTO ix_session VALUES (1, 0), (2, 0);
DO $$
BEGIN
  FOR g IN 1..200 LOOP
    DELETE FROM ix_session WHERE id = 2;
    INSERT INTO ix_session VALUES (2, g);
    COMMIT;
  END LOOP;
END $$;
SELECT entries < 10 AS few_entries FROM memopt.indexes WHERE index = 'ix_session_pkey'::regclass;
SELECT * FROM ix_session WHERE id = 2;
VACUUM ix_session;
SELECT entries FROM memopt.indexes WHERE index = 'ix_session_pkey'::regclass;
DROP TABLE ix_session;

-- VACUUM also removes the entries of keys that updates replaced
CREATE TABLE ix_churn (id int PRIMARY KEY, k int) USING memopt;
CREATE INDEX ix_churn_k ON ix_churn USING memopt_hash (k);
INSERT INTO ix_churn SELECT g, g FROM generate_series(1, 100) g;
UPDATE ix_churn SET k = k + 1000, id = id + 1000;
UPDATE ix_churn SET k = k + 1000;
SELECT index, entries FROM memopt.indexes WHERE relation = 'ix_churn'::regclass ORDER BY index::text;
VACUUM ix_churn;
SELECT index, entries FROM memopt.indexes WHERE relation = 'ix_churn'::regclass ORDER BY index::text;
SELECT id, k FROM ix_churn WHERE k IN (1, 1001, 2001);
SELECT id, k FROM ix_churn WHERE id IN (1, 1001);
UPDATE ix_churn SET k = 1 WHERE id = 1001;
SELECT id, k FROM ix_churn WHERE k = 1;

-- partitioned tables with memopt partitions: a parent's index (without
-- USING) becomes memopt_range on every partition; a unique one cannot, since
-- PostgreSQL 15 enforces uniqueness across partitions only with btree/hash
SET default_table_access_method = memopt;
CREATE TABLE ix_part (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ix_part (id int, v text) PARTITION BY RANGE (id);
CREATE TABLE ix_part1 PARTITION OF ix_part FOR VALUES FROM (0) TO (100);
RESET default_table_access_method;
CREATE TABLE ix_part2 PARTITION OF ix_part FOR VALUES FROM (100) TO (200) USING memopt;
CREATE INDEX ix_part_id ON ix_part (id);
ALTER TABLE ix_part1 ADD PRIMARY KEY (id);
INSERT INTO ix_part SELECT g, 'v' || g FROM generate_series(0, 199) g;
SELECT c.relname, am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam
WHERE c.relname LIKE 'ix_part%' AND c.relkind = 'i' ORDER BY 1;
SET enable_seqscan = off;
SELECT * FROM ix_part WHERE id IN (5, 150) ORDER BY id;
RESET enable_seqscan;
INSERT INTO ix_part VALUES (5, 'dup');
-- nor can a primary key or unique constraint be added later
ALTER TABLE ix_part ADD PRIMARY KEY (id);
ALTER TABLE ix_part ADD COLUMN w int UNIQUE;
DROP TABLE ix_part;
-- a memopt table cannot join a partitioned table whose indexes it could not
-- have (unique, or of another AM), as a new partition or an attached one
CREATE TABLE ix_ppk (id int PRIMARY KEY, v int) PARTITION BY RANGE (id);
CREATE TABLE ix_ppk1 PARTITION OF ix_ppk FOR VALUES FROM (0) TO (10) USING memopt;
CREATE TABLE ix_ppk2 (id int PRIMARY KEY, v int) USING memopt;
ALTER TABLE ix_ppk ATTACH PARTITION ix_ppk2 FOR VALUES FROM (10) TO (20);
CREATE TABLE ix_pbt (id int, v int) PARTITION BY RANGE (id);
CREATE INDEX ix_pbt_v ON ix_pbt (v);
CREATE TABLE ix_pbt1 PARTITION OF ix_pbt FOR VALUES FROM (0) TO (10) USING memopt;
ALTER TABLE ix_pbt ATTACH PARTITION ix_ppk2 FOR VALUES FROM (10) TO (20);
SELECT count(*) AS partitions FROM pg_inherits WHERE inhparent IN ('ix_ppk'::regclass, 'ix_pbt'::regclass);
DROP TABLE ix_ppk, ix_ppk2, ix_pbt;
-- and a table of another AM cannot join under a memopt_range index
CREATE TABLE ix_pm (id int, v int) PARTITION BY RANGE (id);
CREATE TABLE ix_pm1 PARTITION OF ix_pm FOR VALUES FROM (0) TO (10) USING memopt;
CREATE INDEX ix_pm_v ON ix_pm (v);
CREATE TABLE ix_pm2 PARTITION OF ix_pm FOR VALUES FROM (10) TO (20) USING heap;
CREATE TABLE ix_pm3 (id int, v int) USING heap;
ALTER TABLE ix_pm ATTACH PARTITION ix_pm3 FOR VALUES FROM (10) TO (20);
DROP TABLE ix_pm, ix_pm3;
-- a memopt_hash index always records its bucket_count (a dumped constraint
-- names no access method; the bucket_count routes it back to memopt_hash)
CREATE TABLE ix_hb (id int) USING memopt;
CREATE UNIQUE INDEX ix_hb_id ON ix_hb USING memopt_hash (id);
SELECT pg_get_indexdef('ix_hb_id'::regclass);
DROP TABLE ix_hb;

-- one key inserted and deleted many times before VACUUM leaves many entries
-- under it in a range index; the uniqueness check reads them all (it once
-- stopped at 64). Hash lookups take out the entries of dead rows they meet.
CREATE TABLE ix_churn2 (k int) USING memopt;
CREATE UNIQUE INDEX ix_churn2_h ON ix_churn2 USING memopt_hash (k);
CREATE UNIQUE INDEX ix_churn2_r ON ix_churn2 (k);
DO $$ BEGIN
  FOR i IN 1..100 LOOP
    INSERT INTO ix_churn2 VALUES (1);
    DELETE FROM ix_churn2 WHERE k = 1;
    COMMIT;
  END LOOP;
END $$;
INSERT INTO ix_churn2 VALUES (1);
INSERT INTO ix_churn2 VALUES (1);
\echo :LAST_ERROR_SQLSTATE
SELECT index, entries FROM memopt.indexes WHERE relation = 'ix_churn2'::regclass ORDER BY index::text;
VACUUM ix_churn2;
SELECT index, entries FROM memopt.indexes WHERE relation = 'ix_churn2'::regclass ORDER BY index::text;
DROP TABLE ix_churn2;

-- a hash index grows from a small start
CREATE TABLE ix_grow (k int) USING memopt;
CREATE INDEX ix_grow_k ON ix_grow USING memopt_hash (k) WITH (bucket_count = 1);
INSERT INTO ix_grow SELECT generate_series(1, 10000);
SELECT entries, buckets >= 4096 AS grew, load_factor <= 2 AS load_ok FROM memopt.indexes
WHERE index = 'ix_grow_k'::regclass;
SELECT * FROM ix_grow WHERE k = 9999;

-- Range indexes search by 64-bit prefixes of the first column (bool,
-- integers, oid, date, time, timestamps, uuid, floats, intervals, and strings whose
-- order is bytewise: C collation, pattern operator classes, bytea): the
-- extremes of each type share a prefix with NULL or with a key of no
-- columns, strings that differ after 8 bytes share one, and char(n)
-- ignores trailing spaces; all must still sort and match as btree does.
CREATE TABLE ix_edge_heap (k8 int8, k2 int2, ko oid, ku uuid, kts timestamp, kb bool,
  kf8 float8, kf4 float4, kt text COLLATE "C", ktp text, kc char(10) COLLATE "C", kby bytea,
  kiv interval, n int);
INSERT INTO ix_edge_heap VALUES
  (-9223372036854775808, -32768, 0, '00000000-0000-0000-0000-000000000000', '-infinity', false,
   '-Infinity', '-Infinity', '', '', '', '\x', '-178000000 years', 1),
  (-9223372036854775807, -32767, 1, '00000000-0000-0000-0000-000000000001', '4713-01-01 BC', false,
   -1e308, -3e38, 'a', 'a', 'a', '\x00', '-177000000 years', 2),
  (-1, -1, 2147483647, '7fffffff-ffff-ffff-0000-000000000000', '2000-01-01', true,
   '-0', '-0', 'abcdefgh', 'abcdefgh', E'a\t', '\x0000', '1 mon', 3),
  (0, 0, 2147483648, '80000000-0000-0000-0000-000000000000', '2000-01-01 00:00:01', true,
   0, 0, 'abcdefghi', 'abcdefghi', 'abcdefghij', '\x00000000000000000001', '30 days', 4),
  (9223372036854775806, 32766, 4294967294, 'ffffffff-ffff-ffff-0000-000000000000', '294276-12-31', true,
   5e-324, 1e-45, E'abcdefgh\t', E'abcdefgh\t', 'abcdefghi', '\x0102030405060708', '29 days 24:00:00', 5),
  (9223372036854775807, 32767, 4294967295, 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'infinity', true,
   'Infinity', 'Infinity', 'ÿÿÿÿÿ', 'ÿÿÿÿÿ', 'ÿÿÿÿÿ', '\xffffffffffffffff', '178000000 years', 6),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 7),
  (9223372036854775807, 32767, 4294967295, 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'infinity', NULL,
   'NaN', 'NaN', 'ÿÿÿÿÿ', 'ÿÿÿÿÿÿ', 'ÿÿÿÿ ', '\xffffffffffffffffff', '177000000 years', 8),
  (-9223372036854775808, -32768, 0, '00000000-0000-0000-0000-000000000000', '-infinity', NULL,
   '-NaN', 1e38, 'abcdefgh ', 'abcdefgh ', 'a ', '\x0102030405060708', '-1 mon -00:00:00.000001', 9);
CREATE TABLE ix_edge_mem (LIKE ix_edge_heap) USING memopt;
INSERT INTO ix_edge_mem SELECT * FROM ix_edge_heap;
SELECT format('CREATE INDEX ON ix_edge_mem USING memopt_range (%1$s);', attname)
FROM pg_attribute WHERE attrelid = 'ix_edge_heap'::regclass AND attname LIKE 'k%'
  AND attname <> 'ktp'
ORDER BY attnum \gexec
-- memopt ships no pattern operator classes (LIKE's index support knows
-- only btree's); one made by hand orders bytewise and gets prefixes too
CREATE OPERATOR CLASS ix_edge_text_pattern FOR TYPE text USING memopt_range AS
  OPERATOR 1 ~<~, OPERATOR 2 ~<=~, OPERATOR 3 =, OPERATOR 4 ~>=~, OPERATOR 5 ~>~,
  FUNCTION 1 bttext_pattern_cmp(text, text);
CREATE INDEX ix_edge_pattern ON ix_edge_mem USING memopt_range (ktp ix_edge_text_pattern);
CREATE INDEX ix_edge_multi ON ix_edge_mem USING memopt_range (k8, n);
SET enable_seqscan = off;
-- each condition: the same rows in the same order as heap's (an empty
-- answer counts), as "col: cond" for any that differs. The operands are
-- the column's extremes and every row's value.
CREATE FUNCTION ix_edge_same(cond text, col text) RETURNS bool
LANGUAGE plpgsql AS $$
DECLARE a int[]; b int[];
BEGIN
  EXECUTE format('SELECT array_agg(n) FROM (SELECT n FROM ix_edge_mem WHERE %s '
                 'ORDER BY %s, n) s', cond, col) INTO a;
  EXECUTE format('SELECT array_agg(n) FROM (SELECT n FROM ix_edge_heap WHERE %s '
                 'ORDER BY %s, n) s', cond, col) INTO b;
  RETURN a IS NOT DISTINCT FROM b;
END $$;
CREATE FUNCTION ix_edge_differences(OUT checked int, OUT differing text[])
LANGUAGE plpgsql AS $$
DECLARE col text; conds text[]; cond text; op text; operands text[]; operand text;
BEGIN
  checked := 0;
  differing := '{}';
  FOREACH col IN ARRAY ARRAY['k8', 'k2', 'ko', 'ku', 'kts', 'kb', 'kf8', 'kf4', 'kt', 'ktp',
                             'kc', 'kby', 'kiv'] LOOP
    operands := ARRAY[format('(SELECT %1$s FROM ix_edge_heap ORDER BY %1$s LIMIT 1)', col),
                      format('(SELECT %1$s FROM ix_edge_heap ORDER BY %1$s DESC NULLS LAST LIMIT 1)',
                             col)];
    FOR row_n IN 1..9 LOOP
      operands := operands || format('(SELECT %s FROM ix_edge_heap WHERE n = %s)', col, row_n);
    END LOOP;
    conds := ARRAY[col || ' IS NULL', col || ' IS NOT NULL'];
    FOREACH operand IN ARRAY operands LOOP
      FOREACH op IN ARRAY ARRAY['=', '<', '>', '<=', '>='] LOOP
        conds := conds || format('%s %s %s', col, op, operand);
      END LOOP;
    END LOOP;
    FOREACH cond IN ARRAY conds LOOP
      checked := checked + 1;
      IF NOT ix_edge_same(cond, col) THEN
        differing := differing || (col || ': ' || cond);
      END IF;
    END LOOP;
  END LOOP;
END $$;
SELECT * FROM ix_edge_differences();
EXPLAIN (COSTS OFF) SELECT n FROM ix_edge_mem WHERE k8 = 9223372036854775807;
SELECT n FROM ix_edge_mem WHERE k8 = 9223372036854775807 ORDER BY n;
SELECT n FROM ix_edge_mem WHERE k8 = -9223372036854775808 AND n > 1;
SELECT n, kts FROM ix_edge_mem WHERE kts >= 'infinity' OR kts <= '-infinity' ORDER BY kts, n;
SELECT n FROM ix_edge_mem WHERE ku > 'ffffffff-ffff-ffff-0000-000000000000' ORDER BY ku DESC, n;
EXPLAIN (COSTS OFF) SELECT n FROM ix_edge_mem WHERE kt > 'abcdefgh' ORDER BY kt;
SELECT n, kt FROM ix_edge_mem WHERE kt > 'abcdefgh' ORDER BY kt, n;
SELECT n FROM ix_edge_mem WHERE kc = 'a' ORDER BY n;
EXPLAIN (COSTS OFF) SELECT n FROM ix_edge_mem WHERE ktp ~>=~ 'abcdefgh' ORDER BY ktp USING ~<~;
SELECT n, ktp FROM ix_edge_mem WHERE ktp ~>=~ 'abcdefgh' ORDER BY ktp USING ~<~;
SELECT n FROM ix_edge_mem WHERE ktp = 'abcdefgh ' ORDER BY n;
SELECT n, kf8 FROM ix_edge_mem WHERE kf8 >= 0 ORDER BY kf8 DESC, n;
SELECT n, kby FROM ix_edge_mem WHERE kby < '\x0001' ORDER BY kby, n;
SELECT n, kiv FROM ix_edge_mem WHERE kiv = '1 mon' OR kiv > '100000000 years' ORDER BY kiv, n;
RESET enable_seqscan;
DROP TABLE ix_edge_heap, ix_edge_mem;
DROP FUNCTION ix_edge_differences(), ix_edge_same(text, text);
DROP OPERATOR FAMILY ix_edge_text_pattern USING memopt_range;

-- "column op ANY (array)" (IN lists) through memopt_range: one walk per
-- distinct non-NULL element, in key order, also backward; an inequality
-- needs only the extreme element. Every column type, against btree on heap,
-- through MemoptRange and through the generic index scan.
SET enable_seqscan = off;
CREATE FUNCTION ix_check_arrays(OUT col name, OUT any_eq bool, OUT any_desc bool,
                                OUT any_lt bool, OUT any_ge bool)
RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE c name; arr text; a int[]; b int[];
BEGIN
  FOR c IN SELECT attname FROM pg_attribute WHERE attrelid = 'ix_heap'::regclass
           AND attname LIKE 'c\_%' ORDER BY attnum LOOP
    col := c;
    -- unsorted, a duplicate, an id with no row, and a NULL element
    arr := format('(ARRAY[(SELECT %1$s FROM ix_heap WHERE id = 7), (SELECT %1$s FROM ix_heap '
                  'WHERE id = 3), (SELECT %1$s FROM ix_heap WHERE id = 7), (SELECT %1$s FROM '
                  'ix_heap WHERE id = 11), NULL])', c);
    any_eq := ix_same(format('SELECT id FROM ix_mem WHERE %s = ANY %s', c, arr),
                      format('SELECT id FROM ix_heap WHERE %s = ANY %s', c, arr));
    EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM ix_mem WHERE %1$s = ANY %2$s '
                   'ORDER BY %1$s DESC, id DESC) q', c, arr) INTO a;
    EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM ix_heap WHERE %1$s = ANY %2$s '
                   'ORDER BY %1$s DESC, id DESC) q', c, arr) INTO b;
    any_desc := a IS NOT DISTINCT FROM b AND a IS NOT NULL;
    any_lt := ix_same(format('SELECT id FROM ix_mem WHERE %s < ANY %s', c, arr),
                      format('SELECT id FROM ix_heap WHERE %s < ANY %s', c, arr));
    any_ge := ix_same(format('SELECT id FROM ix_mem WHERE %s >= ANY %s', c, arr),
                      format('SELECT id FROM ix_heap WHERE %s >= ANY %s', c, arr));
    RETURN NEXT;
  END LOOP;
END $$;
-- memopt_hash indexes answer "= ANY" first; then, without them, memopt_range
-- through MemoptRange and through the generic index scan
SELECT format('CREATE INDEX IF NOT EXISTS ix_mem_r_%1$s ON ix_mem USING memopt_range (%1$s);',
              attname)
FROM pg_attribute WHERE attrelid = 'ix_heap'::regclass AND attname LIKE 'c\_%'
ORDER BY attnum \gexec
SELECT * FROM ix_check_arrays() WHERE NOT (any_eq AND any_desc AND any_lt AND any_ge);
SELECT format('DROP INDEX ix_mem_h_%s;', attname)
FROM pg_attribute WHERE attrelid = 'ix_heap'::regclass AND attname LIKE 'c\_%'
ORDER BY attnum \gexec
SELECT * FROM ix_check_arrays() WHERE NOT (any_eq AND any_desc AND any_lt AND any_ge);
SET memopt.enable_custom_scans = off;
SELECT * FROM ix_check_arrays() WHERE NOT (any_eq AND any_desc AND any_lt AND any_ge);
EXPLAIN (COSTS OFF) SELECT id FROM ix_mem WHERE c_int4 = ANY ('{5, 1, 5, NULL}') ORDER BY c_int4 DESC;
RESET memopt.enable_custom_scans;
EXPLAIN (COSTS OFF) SELECT id FROM ix_mem WHERE c_int4 IN (5, 1, 5) ORDER BY c_int4 DESC;
SELECT id, c_int4 FROM ix_mem WHERE c_int4 IN (5, 1, 5) ORDER BY c_int4 DESC, id LIMIT 4;
-- empty and NULL arrays, cross-type elements, and only NULLs
SELECT count(*) FROM ix_mem WHERE c_int4 = ANY ('{}');
SELECT count(*) FROM ix_mem WHERE c_int4 = ANY (NULL::int[]);
SELECT count(*) FROM ix_mem WHERE c_int4 = ANY ('{NULL, NULL}');
SELECT count(*) = (SELECT count(*) FROM ix_heap WHERE c_int4 IN (1, 2, 3)) AS same
FROM ix_mem WHERE c_int4 = ANY (ARRAY[1, 2, 3, 9999999999]::int8[]);
SELECT count(*) = (SELECT count(*) FROM ix_heap WHERE c_text IN ('cherry', 'apple3')) AS same
FROM ix_mem WHERE c_text = ANY (ARRAY['cherry', 'apple3', 'cherry']::varchar[]);
-- rescans with new arrays (the inner side of a nested loop)
SELECT v.n, count(s.id) FROM (VALUES (1, ARRAY[1, 2]), (2, ARRAY[3]), (3, '{}')) v(n, arr)
CROSS JOIN LATERAL (SELECT id FROM ix_mem WHERE c_int4 = ANY (v.arr)) s GROUP BY v.n ORDER BY v.n;
SELECT v.n, count(s.id) FROM (VALUES (1, ARRAY[1, 2]), (2, ARRAY[3]), (3, '{}')) v(n, arr)
CROSS JOIN LATERAL (SELECT id FROM ix_heap WHERE c_int4 = ANY (v.arr)) s GROUP BY v.n ORDER BY v.n;
-- two arrays on two columns: rows in (a, b) order, forwards and backwards
CREATE TABLE ix_arr2 (a int, b int, n int) USING memopt;
CREATE INDEX ix_arr2_ab ON ix_arr2 USING memopt_range (a, b);
INSERT INTO ix_arr2 SELECT g / 10, g % 10, g FROM generate_series(0, 99) g;
EXPLAIN (COSTS OFF) SELECT n FROM ix_arr2 WHERE a IN (7, 2) AND b IN (5, 1, 9) ORDER BY a, b;
SELECT array_agg(n) FROM (SELECT n FROM ix_arr2 WHERE a IN (7, 2) AND b IN (5, 1, 9) ORDER BY a, b) s;
SELECT array_agg(n) FROM (SELECT n FROM ix_arr2 WHERE a IN (7, 2) AND b IN (5, 1, 9)
                          ORDER BY a DESC, b DESC) s;
SELECT array_agg(n) FROM (SELECT n FROM ix_arr2 WHERE a = ANY ('{7, 2}') AND b > 6 ORDER BY a, b) s;
-- a scroll cursor turning back across elements
BEGIN;
DECLARE ix_arr_cursor SCROLL CURSOR FOR SELECT n FROM ix_arr2 WHERE a IN (3, 1, 2) AND b < 2 ORDER BY a, b;
FETCH 3 FROM ix_arr_cursor;
FETCH BACKWARD 2 FROM ix_arr_cursor;
FETCH FORWARD ALL FROM ix_arr_cursor;
FETCH BACKWARD 3 FROM ix_arr_cursor;
FETCH LAST FROM ix_arr_cursor;
FETCH FIRST FROM ix_arr_cursor;
COMMIT;
-- mark and restore across elements (the inner side of a merge join)
SET enable_hashjoin = off;
SET enable_nestloop = off;
SET enable_material = off;
EXPLAIN (COSTS OFF)
SELECT x.n, y.n FROM ix_arr2 x JOIN ix_arr2 y ON x.a = y.a WHERE y.a IN (4, 2) AND y.b IN (0, 1)
ORDER BY x.a;
SELECT count(*), sum(x.n * y.n) FROM ix_arr2 x JOIN ix_arr2 y ON x.a = y.a
WHERE y.a IN (4, 2) AND y.b IN (0, 1);
SET memopt.enable_custom_scans = off;
SELECT count(*), sum(x.n * y.n) FROM ix_arr2 x JOIN ix_arr2 y ON x.a = y.a
WHERE y.a IN (4, 2) AND y.b IN (0, 1);
RESET memopt.enable_custom_scans;
RESET enable_hashjoin;
RESET enable_nestloop;
RESET enable_material;
SELECT count(*), sum(x.n * y.n) FROM ix_arr2 x JOIN ix_arr2 y ON x.a = y.a
WHERE y.a IN (4, 2) AND y.b IN (0, 1);
-- memopt_hash probes once per element and returns each row once, also
-- for elements that are equal but spelled apart (1.0 and 1.00)
CREATE TABLE ix_arr_hash (k numeric, j int, n int) USING memopt;
CREATE INDEX ix_arr_hash_k ON ix_arr_hash USING memopt_hash (k);
CREATE INDEX ix_arr_hash_kj ON ix_arr_hash USING memopt_hash (j, k);
INSERT INTO ix_arr_hash SELECT g % 50, g % 7, g FROM generate_series(1, 500) g;
EXPLAIN (COSTS OFF) SELECT n FROM ix_arr_hash WHERE k IN (1.0, 2, 1.00, NULL);
SELECT count(*), sum(n) FROM ix_arr_hash WHERE k IN (1.0, 2, 1.00, NULL);
SELECT count(*) FROM ix_arr_hash WHERE k = ANY ('{}');
SELECT count(*) FROM ix_arr_hash WHERE k = ANY (NULL::numeric[]);
EXPLAIN (COSTS OFF) SELECT n FROM ix_arr_hash WHERE j IN (3, 4) AND k IN (10, 11, 12);
SELECT count(*), sum(n) FROM ix_arr_hash WHERE j IN (3, 4) AND k IN (10, 11, 12);
-- cross-type elements: int8 for an int column, hashed with int8's function
EXPLAIN (COSTS OFF) SELECT n FROM ix_arr_hash
WHERE j = ANY (ARRAY[3, 4, 99999999999]::int8[]) AND k IN (10, 11, 12);
SELECT count(*), sum(n) FROM ix_arr_hash
WHERE j = ANY (ARRAY[3, 4, 99999999999]::int8[]) AND k IN (10, 11, 12);
SET enable_seqscan = on;
SET enable_indexscan = off;
SELECT count(*), sum(n) FROM ix_arr_hash WHERE j IN (3, 4) AND k IN (10, 11, 12);
RESET enable_indexscan;
DROP TABLE ix_arr_hash;
RESET enable_seqscan;
DROP TABLE ix_arr2;
DROP FUNCTION ix_check_arrays();

-- network addresses, MAC addresses, jsonb, LSNs and bit strings take both
-- memopt AMs (btree's and hash's operator classes), as heap's btree
CREATE TABLE ix_more_heap (n int, ip inet, net cidr, mac macaddr, mac8 macaddr8, doc jsonb,
                           lsn pg_lsn, b bit(4), vb varbit);
INSERT INTO ix_more_heap
SELECT g, ('10.0.' || g % 7 || '.' || g % 5)::inet, ('192.168.' || g % 3 || '.0/24')::cidr,
       ('08:00:2b:01:02:' || lpad(to_hex(g % 11), 2, '0'))::macaddr,
       ('08:00:2b:01:02:03:04:' || lpad(to_hex(g % 13), 2, '0'))::macaddr8,
       jsonb_build_object('k', g % 4, 'a', jsonb_build_array(g % 2)),
       ('0/' || to_hex(g % 9 * 4096))::pg_lsn, (g % 16)::bit(4), (g % 6)::bit(3)::varbit
FROM generate_series(1, 60) g;
INSERT INTO ix_more_heap (n) VALUES (61);
CREATE TABLE ix_more_mem (LIKE ix_more_heap) USING memopt;
INSERT INTO ix_more_mem SELECT * FROM ix_more_heap;
SELECT format('CREATE INDEX ON ix_more_mem USING memopt_range (%1$s);', attname)
FROM pg_attribute WHERE attrelid = 'ix_more_heap'::regclass AND attnum > 1 ORDER BY attnum \gexec
SELECT format('CREATE INDEX ON ix_more_mem USING memopt_hash (%1$s);', attname)
FROM pg_attribute WHERE attrelid = 'ix_more_heap'::regclass AND attnum > 1
  AND attname NOT IN ('b', 'vb') ORDER BY attnum \gexec
SET enable_seqscan = off;
CREATE FUNCTION ix_more_differences(OUT checked int, OUT differing text[])
LANGUAGE plpgsql AS $$
DECLARE col text; op text; cond text; a int[]; b int[];
BEGIN
  checked := 0;
  differing := '{}';
  FOREACH col IN ARRAY ARRAY['ip', 'net', 'mac', 'mac8', 'doc', 'lsn', 'b', 'vb'] LOOP
    FOREACH op IN ARRAY ARRAY['=', '<', '>='] LOOP
      cond := format('%1$s %2$s (SELECT %1$s FROM ix_more_heap WHERE n = 17)', col, op);
      EXECUTE format('SELECT array_agg(n) FROM (SELECT n FROM ix_more_mem WHERE %s '
                     'ORDER BY %s, n) s', cond, col) INTO a;
      EXECUTE format('SELECT array_agg(n) FROM (SELECT n FROM ix_more_heap WHERE %s '
                     'ORDER BY %s, n) s', cond, col) INTO b;
      checked := checked + 1;
      IF a IS DISTINCT FROM b OR a IS NULL THEN
        differing := differing || cond;
      END IF;
    END LOOP;
  END LOOP;
END $$;
SELECT * FROM ix_more_differences();
EXPLAIN (COSTS OFF) SELECT n FROM ix_more_mem WHERE ip = '10.0.3.2';
EXPLAIN (COSTS OFF) SELECT n FROM ix_more_mem WHERE doc = '{"k": 1, "a": [1]}' ORDER BY n;
SELECT count(*) FROM ix_more_mem WHERE doc = '{"k": 1, "a": [1]}';
RESET enable_seqscan;
DROP FUNCTION ix_more_differences();
DROP TABLE ix_more_heap, ix_more_mem;

DROP TABLE ix_heap, ix_mem, ix_t, ix_multi, ix_nnd, ix_other, ix_grow, ix_churn;
DROP FUNCTION ix_check_columns(), ix_check_equality(), ix_same(text, text);
DROP TYPE ix_mood;
SELECT count(*) FROM memopt.indexes;
